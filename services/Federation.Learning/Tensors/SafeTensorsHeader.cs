using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using System.Text.Unicode;

namespace Federation.Learning.Tensors;

/// <summary>
/// Parses and fully validates the header of a safetensors file. Every check happens before any tensor
/// memory is allocated, and every allocation is bounded by the size of the file itself, so a hostile
/// header can neither crash the reader nor make it allocate gigabytes.
/// </summary>
internal sealed class SafeTensorsHeader
{
    /// <summary>The header size limit of the safetensors specification (100 MB).</summary>
    public const long MaxHeaderLength = 100_000_000;

    /// <summary>The reserved key for the free-form string-to-string metadata.</summary>
    public const string MetadataKey = "__metadata__";

    private SafeTensorsHeader(IReadOnlyList<SafeTensorsEntry> entries, IReadOnlyDictionary<string, string> metadata, int dataStart)
    {
        Entries = entries;
        Metadata = metadata;
        DataStart = dataStart;
    }

    /// <summary>The tensors, in the order the header lists them.</summary>
    public IReadOnlyList<SafeTensorsEntry> Entries { get; }

    /// <summary>The <c>__metadata__</c> object, empty when absent.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The file offset of the data buffer (8 + header length).</summary>
    public int DataStart { get; }

    /// <summary>Parses the header of <paramref name="file"/> and checks it against the file's size.</summary>
    public static SafeTensorsHeader Parse(ReadOnlySpan<byte> file) => Parse(file, file.Length);

    /// <summary>
    /// The length of the JSON header announced by a file's first 8 bytes, checked against the specification's limit
    /// and the file's size: a caller reading from disk reads 8 + this many bytes and hands them to <see cref="Parse(ReadOnlySpan{byte}, long)"/>.
    /// </summary>
    public static int ReadHeaderLength(ReadOnlySpan<byte> start, long fileLength)
    {
        if (fileLength < 8 || start.Length < 8)
        {
            throw Error($"the file is {fileLength} bytes long, but a safetensors file starts with an 8-byte header length");
        }

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(start);
        if (headerLength > MaxHeaderLength)
        {
            throw Error($"the header length {headerLength} exceeds the safetensors limit of {MaxHeaderLength} bytes");
        }

        if (headerLength > (ulong)(fileLength - 8))
        {
            throw Error($"the header length {headerLength} is larger than the {fileLength - 8} bytes that follow the 8-byte length prefix");
        }

        return (int)headerLength;
    }

    /// <summary>
    /// Parses the header from the first bytes of a file of <paramref name="fileLength"/> bytes (<paramref name="start"/>
    /// holds at least the length prefix and the header), and checks it against that size, without the data buffer.
    /// </summary>
    public static SafeTensorsHeader Parse(ReadOnlySpan<byte> start, long fileLength)
    {
        int headerLength = ReadHeaderLength(start, fileLength);
        int dataStart = 8 + headerLength;
        if (start.Length < dataStart)
        {
            throw new ArgumentException($"the first {dataStart} bytes of the file are needed to parse its header; {start.Length} were given", nameof(start));
        }

        if (fileLength - dataStart > int.MaxValue)
        {
            throw Error($"the data buffer is {fileLength - dataStart} bytes long; at most {int.MaxValue} bytes are supported");
        }

        var headerBytes = start[8..dataStart];
        int bufferLength = (int)(fileLength - dataStart);

        using var document = ParseJson(headerBytes);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw Error($"the header must be a JSON object, but it is {Describe(root.ValueKind)}");
        }

        var entries = new List<SafeTensorsEntry>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        IReadOnlyDictionary<string, string>? metadata = null;
        foreach (var property in root.EnumerateObject())
        {
            if (!names.Add(property.Name))
            {
                throw Error(property.Name == MetadataKey
                    ? $"the header has more than one \"{MetadataKey}\" entry"
                    : $"duplicate tensor name '{property.Name}'");
            }

            if (property.Name == MetadataKey)
            {
                metadata = ParseMetadata(property.Value);
            }
            else
            {
                entries.Add(ParseEntry(property.Name, property.Value, bufferLength));
            }
        }

        CheckBufferIsExactlyCovered(entries, bufferLength);
        return new SafeTensorsHeader(entries, metadata ?? new Dictionary<string, string>(), dataStart);
    }

    private static JsonDocument ParseJson(ReadOnlySpan<byte> headerBytes)
    {
        // Checked up front so the message is about encoding rather than a JSON parser detail.
        if (!Utf8.IsValid(headerBytes))
        {
            throw Error("the header is not valid UTF-8");
        }

        try
        {
            // The copy is bounded by the header length, which was checked against the file size.
            return JsonDocument.Parse(headerBytes.ToArray());
        }
        catch (JsonException exception)
        {
            throw new SafeTensorsFormatException($"the header is not valid JSON: {exception.Message}", exception);
        }
    }

    private static Dictionary<string, string> ParseMetadata(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Error($"\"{MetadataKey}\" must be a JSON object of strings, but it is {Describe(element.ValueKind)}");
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.String)
            {
                throw Error($"\"{MetadataKey}\" value for key '{property.Name}' must be a string, but it is {Describe(property.Value.ValueKind)}");
            }

            if (!metadata.TryAdd(property.Name, property.Value.GetString()!))
            {
                throw Error($"\"{MetadataKey}\" has duplicate key '{property.Name}'");
            }
        }

        return metadata;
    }

    private static SafeTensorsEntry ParseEntry(string name, JsonElement element, int bufferLength)
    {
        if (name.Length == 0)
        {
            throw Error("a tensor has an empty name");
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Error($"tensor '{name}' must be a JSON object, but it is {Describe(element.ValueKind)}");
        }

        string dtype = ParseDType(name, Required(name, element, "dtype"));
        int[] shape = ParseShape(name, Required(name, element, "shape"));
        (int begin, int end) = ParseOffsets(name, Required(name, element, "data_offsets"), bufferLength);

        long elementCount = 1;
        long byteCount;
        try
        {
            foreach (int dimension in shape)
            {
                elementCount = checked(elementCount * dimension);
            }

            byteCount = checked(elementCount * SafeTensorsDType.SupportedSizes[dtype]);
        }
        catch (OverflowException)
        {
            throw Error($"tensor '{name}' has shape {ShapeText.Format(shape)}, whose size overflows");
        }

        if (byteCount != end - begin)
        {
            throw Error($"tensor '{name}' has shape {ShapeText.Format(shape)} of dtype {dtype}, which needs {byteCount} bytes, but its data_offsets [{begin}, {end}] span {end - begin} bytes");
        }

        return new SafeTensorsEntry(name, dtype, shape, begin, end);
    }

    private static JsonElement Required(string name, JsonElement entry, string key) =>
        entry.TryGetProperty(key, out var value) ? value : throw Error($"tensor '{name}' has no \"{key}\"");

    private static string ParseDType(string name, JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.String)
        {
            throw Error($"tensor '{name}' has a \"dtype\" that is {Describe(element.ValueKind)} instead of a string");
        }

        string dtype = element.GetString()!;
        if (SafeTensorsDType.SupportedSizes.ContainsKey(dtype))
        {
            return dtype;
        }

        throw Error(SafeTensorsDType.KnownUnsupported.Contains(dtype)
            ? $"tensor '{name}' has dtype {dtype}, which is not supported: Federation models use F32, F16 or BF16"
            : $"tensor '{name}' has unknown dtype '{dtype}'");
    }

    private static int[] ParseShape(string name, JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            throw Error($"tensor '{name}' has a \"shape\" that is {Describe(element.ValueKind)} instead of an array of integers");
        }

        var shape = new int[element.GetArrayLength()];
        int i = 0;
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long dimension))
            {
                throw Error($"tensor '{name}' has a shape dimension {item.GetRawText()} that is not an integer");
            }

            if (dimension < 0)
            {
                throw Error($"tensor '{name}' has a negative shape dimension {dimension}");
            }

            if (dimension > int.MaxValue)
            {
                throw Error($"tensor '{name}' has a shape dimension {dimension} larger than {int.MaxValue}");
            }

            shape[i++] = (int)dimension;
        }

        return shape;
    }

    private static (int Begin, int End) ParseOffsets(string name, JsonElement element, int bufferLength)
    {
        if (element.ValueKind != JsonValueKind.Array || element.GetArrayLength() != 2)
        {
            throw Error($"tensor '{name}' has \"data_offsets\" {element.GetRawText()}, which is not [begin, end]");
        }

        var begin = element[0];
        var end = element[1];
        if (begin.ValueKind != JsonValueKind.Number || !begin.TryGetInt64(out long first) || first < 0
            || end.ValueKind != JsonValueKind.Number || !end.TryGetInt64(out long last) || last < 0)
        {
            throw Error($"tensor '{name}' has \"data_offsets\" {element.GetRawText()}, which are not two non-negative integers");
        }

        if (first > last)
        {
            throw Error($"tensor '{name}' has data_offsets [{first}, {last}] whose begin is after its end");
        }

        if (last > bufferLength)
        {
            throw Error($"tensor '{name}' has data_offsets [{first}, {last}] beyond the end of the {bufferLength}-byte data buffer");
        }

        return ((int)first, (int)last);
    }

    /// <summary>
    /// The specification requires the tensors to tile the data buffer exactly: no overlaps (two tensors
    /// aliasing the same bytes) and no holes (bytes that belong to nobody and could smuggle data).
    /// </summary>
    private static void CheckBufferIsExactlyCovered(List<SafeTensorsEntry> entries, int bufferLength)
    {
        var ordered = entries.OrderBy(e => e.Begin).ThenBy(e => e.End).ToList();
        long covered = 0;
        SafeTensorsEntry? previous = null;
        foreach (var entry in ordered)
        {
            if (entry.Begin < covered)
            {
                throw Error($"tensors '{previous!.Name}' [{previous.Begin}, {previous.End}] and '{entry.Name}' [{entry.Begin}, {entry.End}] overlap in the data buffer");
            }

            if (entry.Begin > covered)
            {
                throw Error($"bytes [{covered}, {entry.Begin}) of the data buffer belong to no tensor; the buffer must be fully covered");
            }

            covered = entry.End;
            previous = entry;
        }

        if (covered != bufferLength)
        {
            throw Error($"bytes [{covered}, {bufferLength}) at the end of the data buffer belong to no tensor; the buffer must be fully covered");
        }
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => kind.ToString().ToLower(CultureInfo.InvariantCulture),
    };

    private static SafeTensorsFormatException Error(string message) => new(message);
}
