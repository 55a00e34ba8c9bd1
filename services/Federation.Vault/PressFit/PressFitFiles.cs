using System.Globalization;
using System.Text;
using Federation.Vault;

namespace Federation.Vault.PressFit;

/// <summary>Writes generated press-fit curves as files the vault imports: <c>press-fit-00001-good.csv</c> and its <c>.label</c> sidecar.</summary>
public static class PressFitFiles
{
    /// <summary>Generates curves (<see cref="PressFitGenerator.Generate"/>) and writes each with its label sidecar.</summary>
    /// <param name="directory">The output folder; created when missing.</param>
    /// <param name="count">How many curves.</param>
    /// <param name="seed">The generator's seed.</param>
    /// <param name="faultyShare">The expected share of faulty curves.</param>
    /// <returns>The curves written, in file order.</returns>
    public static IReadOnlyList<PressFitCurve> Write(string directory, int count, int seed, double faultyShare)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory.CreateDirectory(directory);
        var curves = PressFitGenerator.Generate(count, seed, faultyShare);
        for (int index = 0; index < curves.Count; index++)
        {
            var curve = curves[index];
            var name = string.Create(CultureInfo.InvariantCulture, $"press-fit-{index + 1:D5}-{(curve.Fault == PressFitFault.None ? "good" : Kebab(curve.Fault))}.csv");
            var path = Path.Combine(directory, name);
            File.WriteAllBytes(path, curve.ToCsv());
            File.WriteAllText(path + VaultImporter.LabelSidecarSuffix, curve.Label + "\n", new UTF8Encoding(false));
        }

        return curves;
    }

    private static string Kebab(PressFitFault fault) => fault switch
    {
        PressFitFault.LowInterference => "low-interference",
        PressFitFault.Galling => "galling",
        PressFitFault.EntrySpike => "entry-spike",
        _ => "good",
    };
}
