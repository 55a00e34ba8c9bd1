namespace Federation.Learning.Tensors;

/// <summary>
/// Reads and writes the huggingface safetensors format: an 8-byte little-endian header length N,
/// N bytes of UTF-8 JSON describing each tensor (dtype, shape, data_offsets) plus optional
/// <c>__metadata__</c>, then the raw little-endian data buffer.
/// </summary>
/// <remarks>
/// The writer always produces float32 in one canonical byte layout (see <see cref="Write(TensorSet, IReadOnlyDictionary{string, string}?)"/>),
/// so hashing its output identifies a model. The reader accepts F32, F16 and BF16 and converts them to float32;
/// anything malformed is refused with a <see cref="SafeTensorsFormatException"/>.
/// </remarks>
public static class SafeTensors
{
    /// <summary>
    /// Serializes a set to canonical safetensors bytes: tensors in ordinal name order, data contiguous in that
    /// order, compact header JSON (<c>__metadata__</c> first, then tensors; inside a tensor dtype, shape,
    /// data_offsets), padded with spaces so that 8 + N is a multiple of 8, values as F32 little-endian.
    /// </summary>
    /// <param name="set">The tensors to write.</param>
    /// <param name="metadata">Optional free-form string metadata, written with keys in ordinal order.</param>
    /// <returns>The file bytes.</returns>
    /// <exception cref="ArgumentException">A tensor is named <c>__metadata__</c>, or the result exceeds a single array.</exception>
    public static byte[] Write(TensorSet set, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(set);
        byte[] prefix = SafeTensorsWriter.BuildPrefixAndHeader(set, metadata);
        long total = prefix.Length + (set.ElementCount * sizeof(float));
        if (total > Array.MaxLength)
        {
            throw new ArgumentException($"the model needs {total} bytes, more than one array can hold; write it to a Stream instead", nameof(set));
        }

        var bytes = new byte[total];
        prefix.CopyTo(bytes, 0);
        int offset = prefix.Length;
        foreach (var tensor in set)
        {
            int length = tensor.Values.Length * sizeof(float);
            SafeTensorsWriter.WriteValues(tensor, bytes.AsSpan(offset, length));
            offset += length;
        }

        return bytes;
    }

    /// <summary>Serializes a set to <paramref name="destination"/>; the bytes are exactly those of <see cref="Write(TensorSet, IReadOnlyDictionary{string, string}?)"/>.</summary>
    /// <param name="set">The tensors to write.</param>
    /// <param name="destination">A writable stream the caller opened and will dispose.</param>
    /// <param name="metadata">Optional free-form string metadata.</param>
    public static void Write(TensorSet set, Stream destination, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(destination);
        destination.Write(SafeTensorsWriter.BuildPrefixAndHeader(set, metadata));
        foreach (var tensor in set)
        {
            SafeTensorsWriter.WriteValues(tensor, destination);
        }
    }

    /// <summary>Parses safetensors bytes into float32 tensors.</summary>
    /// <param name="bytes">The whole file.</param>
    /// <returns>The tensors, converted to float32.</returns>
    /// <exception cref="SafeTensorsFormatException">The bytes are not a valid safetensors file of F32, F16 or BF16 tensors.</exception>
    public static TensorSet Read(ReadOnlySpan<byte> bytes)
    {
        var header = SafeTensorsHeader.Parse(bytes);
        var buffer = bytes[header.DataStart..];
        var tensors = new List<Tensor>(header.Entries.Count);
        foreach (var entry in header.Entries)
        {
            // The header check guarantees End - Begin == count * size, so this is bounded by the file size.
            int elementSize = SafeTensorsDType.SupportedSizes[entry.DType];
            var values = new float[(entry.End - entry.Begin) / elementSize];
            SafeTensorsDType.Decode(entry.DType, buffer[entry.Begin..entry.End], values);
            tensors.Add(new Tensor(entry.Name, entry.Shape, values));
        }

        return new TensorSet(tensors);
    }

    /// <summary>Reads the <c>__metadata__</c> of safetensors bytes, after validating the whole header.</summary>
    /// <param name="bytes">The whole file.</param>
    /// <returns>The metadata; empty when the file has none.</returns>
    /// <exception cref="SafeTensorsFormatException">The bytes are not a valid safetensors file.</exception>
    public static IReadOnlyDictionary<string, string> ReadMetadata(ReadOnlySpan<byte> bytes) =>
        SafeTensorsHeader.Parse(bytes).Metadata;

    /// <summary>
    /// Reads each tensor's stored dtype (F32, F16 or BF16), after validating the whole header.
    /// <see cref="Read"/> widens every dtype to float, so a caller that must insist on one dtype asks here.
    /// </summary>
    /// <param name="bytes">The whole file.</param>
    /// <returns>Tensor name to dtype.</returns>
    /// <exception cref="SafeTensorsFormatException">The bytes are not a valid safetensors file.</exception>
    public static IReadOnlyDictionary<string, string> ReadDTypes(ReadOnlySpan<byte> bytes) =>
        SafeTensorsHeader.Parse(bytes).Entries.ToDictionary(entry => entry.Name, entry => entry.DType, StringComparer.Ordinal);
}
