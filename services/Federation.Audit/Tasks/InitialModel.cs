using System.Globalization;
using Federation.Learning.Tensors;

namespace Federation.Audit.Tasks;

/// <summary>
/// The model team's initial model for a task: any safetensors file of F32, F16 or BF16 tensors with any names and
/// shapes, checked as strictly as an update. Version 0 of the task is its canonical F32 form (tensors sorted by name,
/// no metadata, every value widened to F32 exactly), so that every later version and update has one dtype; for a
/// file already in that form the two are the same bytes. docs/FORMATS.md gives the rule, so an auditor can recompute
/// version 0 from the registered file.
/// </summary>
public static class InitialModel
{
    /// <summary>
    /// The largest model accepted: this library addresses tensor data with 32-bit offsets, so a safetensors file
    /// must stay under 2 GiB.
    /// </summary>
    public const long MaxBytes = int.MaxValue;

    /// <summary>Checks an initial model and returns the canonical F32 file that becomes version 0.</summary>
    /// <param name="fileName">The file's name as the model team gave it, for messages.</param>
    /// <param name="bytes">The whole file.</param>
    /// <param name="maxBytes">The largest file accepted.</param>
    /// <exception cref="InvalidDataException">The file is not a usable model; the message names the file and what is wrong.</exception>
    public static byte[] ToVersionZero(string fileName, ReadOnlySpan<byte> bytes, long maxBytes = MaxBytes)
    {
        if (bytes.Length > maxBytes)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"{fileName}: {bytes.Length} bytes is more than the {maxBytes} bytes a model may have."));
        }

        TensorSet tensors;
        try
        {
            tensors = SafeTensors.Read(bytes);
        }
        catch (SafeTensorsFormatException error)
        {
            throw new InvalidDataException($"{fileName}: not a valid safetensors model: {error.Message}", error);
        }

        if (tensors.Count == 0)
        {
            throw new InvalidDataException($"{fileName}: the model has no tensors.");
        }

        if (tensors.FindNonFinite() is { } nonFinite)
        {
            throw new InvalidDataException($"{fileName}: the model is not finite: {nonFinite}.");
        }

        return SafeTensors.Write(tensors);
    }
}
