namespace Federation.Learning.Tensors;

/// <summary>
/// What a safetensors file's header says — its tensors' names, dtypes, shapes and places — validated against the
/// file's size, without reading (or holding) the data buffer. Lets a caller check a file of any size from its first
/// bytes, and compare an update's layout with a model's without loading either.
/// </summary>
public sealed class SafeTensorsLayout
{
    private SafeTensorsLayout(IReadOnlyList<SafeTensorsEntry> tensors, int dataStart, long fileLength)
    {
        Tensors = tensors;
        DataStart = dataStart;
        FileLength = fileLength;
    }

    /// <summary>The tensors, in the order the header lists them.</summary>
    public IReadOnlyList<SafeTensorsEntry> Tensors { get; }

    /// <summary>The file offset of the data buffer (8 + header length).</summary>
    public int DataStart { get; }

    /// <summary>The file's length in bytes.</summary>
    public long FileLength { get; }

    /// <summary>
    /// How many bytes from the start of a file of <paramref name="fileLength"/> bytes hold its length prefix and
    /// header, from its first 8 bytes: read that many and pass them to <see cref="Parse"/>.
    /// </summary>
    /// <param name="first8">At least the file's first 8 bytes.</param>
    /// <param name="fileLength">The whole file's length.</param>
    /// <exception cref="SafeTensorsFormatException">The announced header length is impossible.</exception>
    public static int PrefixLength(ReadOnlySpan<byte> first8, long fileLength) => 8 + SafeTensorsHeader.ReadHeaderLength(first8, fileLength);

    /// <summary>Parses and fully validates the header of a file of <paramref name="fileLength"/> bytes from its first bytes.</summary>
    /// <param name="start">At least the first <see cref="PrefixLength"/> bytes of the file.</param>
    /// <param name="fileLength">The whole file's length; the tensors must tile the rest of it exactly.</param>
    /// <exception cref="SafeTensorsFormatException">The header is malformed or does not fit the file's size.</exception>
    public static SafeTensorsLayout Parse(ReadOnlySpan<byte> start, long fileLength)
    {
        var header = SafeTensorsHeader.Parse(start, fileLength);
        return new SafeTensorsLayout(header.Entries, header.DataStart, fileLength);
    }

    /// <summary>The layout of the canonical safetensors form of <paramref name="set"/> (<see cref="SafeTensors.Write(TensorSet, IReadOnlyDictionary{string, string}?)"/>), without writing its data.</summary>
    /// <param name="set">The tensors.</param>
    public static SafeTensorsLayout Of(TensorSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        var prefix = SafeTensorsWriter.BuildPrefixAndHeader(set, null);
        return Parse(prefix, prefix.Length + (set.ElementCount * sizeof(float)));
    }

    /// <summary>
    /// The first difference in names or shapes from <paramref name="expected"/>, in name order (the same wording as
    /// <see cref="TensorSet.DescribeLayoutDifference"/>); null when both hold the same tensors with the same shapes.
    /// </summary>
    /// <param name="expected">The layout to match, e.g. the base model's.</param>
    public string? DescribeLayoutDifference(SafeTensorsLayout expected)
    {
        ArgumentNullException.ThrowIfNull(expected);
        var actual = Tensors.OrderBy(entry => entry.Name, StringComparer.Ordinal).ToList();
        var wanted = expected.Tensors.OrderBy(entry => entry.Name, StringComparer.Ordinal).ToList();
        int i = 0, j = 0;
        while (i < actual.Count && j < wanted.Count)
        {
            int order = string.CompareOrdinal(actual[i].Name, wanted[j].Name);
            if (order != 0)
            {
                return order < 0 ? $"unexpected tensor '{actual[i].Name}'" : $"missing tensor '{wanted[j].Name}'";
            }

            if (!actual[i].Shape.AsSpan().SequenceEqual(wanted[j].Shape))
            {
                return $"tensor '{actual[i].Name}' has shape {ShapeText.Format(actual[i].Shape)}; expected {ShapeText.Format(wanted[j].Shape)}";
            }

            i++;
            j++;
        }

        return i < actual.Count ? $"unexpected tensor '{actual[i].Name}'"
            : j < wanted.Count ? $"missing tensor '{wanted[j].Name}'"
            : null;
    }
}
