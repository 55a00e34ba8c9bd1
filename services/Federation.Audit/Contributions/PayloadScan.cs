using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using Federation.Contracts.Events;
using Federation.Learning.Tensors;

namespace Federation.Audit.Contributions;

/// <summary>What the checks learned about an update without keeping its values: its layout and its L2 norm.</summary>
/// <param name="Layout">The update's safetensors header.</param>
/// <param name="L2Norm">The Euclidean norm of all its values, accumulated in double precision.</param>
public sealed record PayloadSummary(SafeTensorsLayout Layout, double L2Norm)
{
    /// <summary>The summary of an update held in memory (its canonical safetensors layout and <see cref="TensorSet.L2Norm"/>).</summary>
    public static PayloadSummary Of(TensorSet update) => new(SafeTensorsLayout.Of(update), update.L2Norm());
}

/// <summary>
/// Checks a safetensors payload by streaming over it in pieces of <see cref="BufferBytes"/>, so that a 1 GB update is
/// checked without being held in memory: the header from the first bytes, then every value once for finiteness and
/// the norm. Values are read in data-buffer order, which for the canonical writer is name order, the order of
/// <see cref="TensorSet.L2Norm"/>.
/// </summary>
public static class PayloadScan
{
    /// <summary>How much of the payload is held at a time.</summary>
    public const int BufferBytes = 1 << 20;

    /// <summary>Parses and validates the header of a safetensors file from the start of <paramref name="payload"/>.</summary>
    /// <param name="payload">A stream at the file's first byte.</param>
    /// <param name="length">The file's length.</param>
    /// <exception cref="SafeTensorsFormatException">The header is malformed or does not fit the length.</exception>
    public static SafeTensorsLayout ReadLayout(Stream payload, long length)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var first = new byte[(int)Math.Min(8, length)];
        payload.ReadExactly(first);
        var prefix = new byte[SafeTensorsLayout.PrefixLength(first, length)];
        first.CopyTo(prefix, 0);
        payload.ReadExactly(prefix.AsSpan(first.Length));
        return SafeTensorsLayout.Parse(prefix, length);
    }

    /// <summary>
    /// The payload checks: a valid safetensors file, every tensor F32, a positive sample count, every value finite.
    /// Null when all pass, with <paramref name="summary"/> set.
    /// </summary>
    /// <param name="payload">A stream at the payload's first byte; read to the end.</param>
    /// <param name="length">The payload's length, already matched against the signed manifest.</param>
    /// <param name="sampleCount">The manifest's sample count.</param>
    /// <param name="summary">The layout and norm, when every check passed.</param>
    public static Rejection? Check(Stream payload, long length, long sampleCount, out PayloadSummary? summary)
    {
        ArgumentNullException.ThrowIfNull(payload);
        summary = null;
        SafeTensorsLayout layout;
        try
        {
            layout = ReadLayout(payload, length);
        }
        catch (SafeTensorsFormatException error)
        {
            return new Rejection(RejectionReason.MalformedPayload, $"The payload is not a valid safetensors file: {error.Message}");
        }

        // Model versions are always F32; a narrower update would silently lose precision.
        if (layout.Tensors.FirstOrDefault(tensor => tensor.DType != "F32") is { } narrow)
        {
            return new Rejection(RejectionReason.DtypeMismatch, $"Tensor '{narrow.Name}' is stored as {narrow.DType}; the base model's tensors are F32.");
        }

        if (sampleCount <= 0)
        {
            return new Rejection(RejectionReason.InvalidSampleCount, $"Sample count {sampleCount} is not positive.");
        }

        var nonFinite = ScanValues(payload, layout, out var norm);
        if (nonFinite is not null)
        {
            return new Rejection(RejectionReason.NonFiniteValues, $"The update is not finite: {nonFinite}.");
        }

        summary = new PayloadSummary(layout, norm);
        return null;
    }

    /// <summary>Reads every value once (the stream stands just after the header); returns the first non-finite one, described.</summary>
    private static string? ScanValues(Stream payload, SafeTensorsLayout layout, out double norm)
    {
        var buffer = new byte[BufferBytes];
        double sum = 0;
        norm = 0;
        foreach (var tensor in layout.Tensors.OrderBy(tensor => tensor.Begin))
        {
            long remaining = tensor.End - tensor.Begin;
            long index = 0;
            while (remaining > 0)
            {
                int count = (int)Math.Min(buffer.Length, remaining);
                payload.ReadExactly(buffer, 0, count);
                var values = MemoryMarshal.Cast<byte, float>(buffer.AsSpan(0, count));
                for (int i = 0; i < values.Length; i++)
                {
                    float value = BitConverter.IsLittleEndian ? values[i] : BinaryPrimitives.ReadSingleLittleEndian(buffer.AsSpan(i * 4, 4));
                    if (!float.IsFinite(value))
                    {
                        return string.Create(CultureInfo.InvariantCulture, $"tensor '{tensor.Name}' has {value} at index {index + i}");
                    }

                    sum += (double)value * value;
                }

                index += values.Length;
                remaining -= count;
            }
        }

        norm = Math.Sqrt(sum);
        return null;
    }
}
