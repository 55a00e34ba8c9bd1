using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Federation.Learning.Tensors;

/// <summary>
/// Writes the canonical float32 safetensors form of a tensor set. Canonical matters: the SHA-256 of
/// these bytes is a model's identity, so the same set must always produce the same bytes.
/// </summary>
internal static class SafeTensorsWriter
{
    /// <summary>
    /// Builds the 8-byte length prefix plus the padded JSON header. Layout rules, all fixed:
    /// compact JSON; <c>__metadata__</c> first (keys in ordinal order); then tensors in ordinal name
    /// order, each as dtype, shape, data_offsets; data laid out contiguously in that same order;
    /// header padded with spaces so the data buffer starts at a multiple of 8.
    /// </summary>
    public static byte[] BuildPrefixAndHeader(TensorSet set, IReadOnlyDictionary<string, string>? metadata)
    {
        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json, new JsonWriterOptions
        {
            Indented = false,
            // Relaxed escaping keeps non-ASCII names readable, as the reference (Rust) writer does.
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }))
        {
            writer.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                WriteMetadata(writer, metadata);
            }

            long offset = 0;
            foreach (var tensor in set)
            {
                if (tensor.Name == SafeTensorsHeader.MetadataKey)
                {
                    throw new ArgumentException($"a tensor cannot be called '{SafeTensorsHeader.MetadataKey}'; that key is reserved", nameof(set));
                }

                long end = offset + (tensor.ElementCount * sizeof(float));
                writer.WriteStartObject(tensor.Name);
                writer.WriteString("dtype", "F32");
                writer.WriteStartArray("shape");
                foreach (int dimension in tensor.Shape)
                {
                    writer.WriteNumberValue(dimension);
                }

                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(end);
                writer.WriteEndArray();
                writer.WriteEndObject();
                offset = end;
            }

            writer.WriteEndObject();
        }

        int headerLength = (int)json.Length;
        int padding = (8 - (headerLength % 8)) % 8;
        var bytes = new byte[8 + headerLength + padding];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)(headerLength + padding));
        json.GetBuffer().AsSpan(0, headerLength).CopyTo(bytes.AsSpan(8));
        bytes.AsSpan(8 + headerLength).Fill((byte)' ');
        return bytes;
    }

    /// <summary>Writes a tensor's values as little-endian float32.</summary>
    public static void WriteValues(Tensor tensor, Span<byte> destination)
    {
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(tensor.Values.AsSpan()).CopyTo(destination);
            return;
        }

        for (int i = 0; i < tensor.Values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(destination.Slice(i * 4, 4), tensor.Values[i]);
        }
    }

    /// <summary>Writes a tensor's values as little-endian float32 to a stream.</summary>
    public static void WriteValues(Tensor tensor, Stream destination)
    {
        if (BitConverter.IsLittleEndian)
        {
            destination.Write(MemoryMarshal.AsBytes(tensor.Values.AsSpan()));
            return;
        }

        var buffer = new byte[4];
        foreach (float value in tensor.Values)
        {
            BinaryPrimitives.WriteSingleLittleEndian(buffer, value);
            destination.Write(buffer);
        }
    }

    private static void WriteMetadata(Utf8JsonWriter writer, IReadOnlyDictionary<string, string> metadata)
    {
        writer.WriteStartObject(SafeTensorsHeader.MetadataKey);
        foreach (string key in metadata.Keys.Order(StringComparer.Ordinal))
        {
            string? value = metadata[key];
            if (value is null)
            {
                throw new ArgumentException($"metadata value for key '{key}' is null", nameof(metadata));
            }

            writer.WriteString(key, value);
        }

        writer.WriteEndObject();
    }
}
