using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Federation.Vault;
using Federation.Vault.Datasets;

namespace Federation.EndToEnd.Tests.Canary;

/// <summary>
/// Valid vault files of all four kinds for one site, each carrying canaries that are random per run, and the
/// <see cref="Secret"/>s that must never reach the bus: the canaries themselves and whole raw records.
/// </summary>
/// <remarks>
/// What is planted where, and what is searched:
/// <list type="bullet">
/// <item>logs: a text log and a JSON-lines log, each line holding a hex canary; searched: the canary, every whole line.</item>
/// <item>overrides: JSON lines and CSV, the canary in the who/what/why fields; searched: the canary, every whole record (line).</item>
/// <item>photos: real 28×28 grayscale PNGs (stored, uncompressed deflate, so pixel bytes appear literally in the file)
/// with a hex canary in a tEXt chunk and 16 random canary bytes as pixel values of one row; searched: both canaries,
/// the file's first 64 bytes and the whole file.</item>
/// <item>force: CSV samples whose force column carries a random, distinctive run of eight numbers (numbers cannot
/// hold text); searched: each number's ASCII digits as written, the run as float32 and as float64 little-endian
/// (whole, and every window of four consecutive values), and every whole sample row.</item>
/// </list>
/// </remarks>
public sealed class CanaryFiles
{
    /// <summary>Pixels per side of the photos (Fashion-MNIST's size, so an image trainer can read them later).</summary>
    public const int PhotoSide = 28;

    /// <summary>Length of a photo's first bytes searched as a raw record.</summary>
    public const int PhotoHeadBytes = 64;

    private readonly List<(VaultKind Kind, string RelativePath, byte[] Content)> files = [];
    private readonly List<Secret> secrets = [];

    /// <summary>Makes the files for <paramref name="site"/>, with fresh random canaries.</summary>
    public CanaryFiles(string site)
    {
        Site = site;
        Logs();
        Overrides();
        Photos();
        Force();
    }

    public string Site { get; }

    /// <summary>Every file: its kind, its path below the kind's drop folder, its bytes.</summary>
    public IReadOnlyList<(VaultKind Kind, string RelativePath, byte[] Content)> Files => files;

    /// <summary>Every canary and raw record planted in the files.</summary>
    public IReadOnlyList<Secret> Secrets => secrets;

    /// <summary>Copies every file into the vault's drop folders, as factory IT would.</summary>
    public void CopyInto(VaultStore vault)
    {
        foreach (var (kind, relativePath, content) in files)
        {
            var path = Path.Combine(vault.DropDirectory(kind), relativePath);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, content);
        }
    }

    /// <summary>32 lowercase hex digits of 16 fresh random bytes, with a prefix naming where it was planted.</summary>
    private string HexCanary(string where) => $"CANARY-{Site}-{where}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}";

    private void Add(VaultKind kind, string relativePath, byte[] content) => files.Add((kind, relativePath, content));

    private void Secret(string kind, string what, byte[] bytes) => secrets.Add(new Secret(kind, $"{Site} {what}", bytes));

    private void Secret(string kind, string what, string text) => Secret(kind, what, Encoding.UTF8.GetBytes(text));

    private void Logs()
    {
        var text = HexCanary("log-text");
        var lines = new[]
        {
            $"2026-03-01T09:15:00Z {Site} press-4 WARN spindle temperature 81 C, operator note {text}",
            $"2026-03-01T09:15:01Z {Site} press-4 INFO cycle 48211 done in 4.12 s",
        };
        Secret("logs", "text log canary", text);
        foreach (var line in lines)
        {
            Secret("logs", "text log line", line);
        }

        Add(VaultKind.Logs, "press-4.log", Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"));

        var json = HexCanary("log-json");
        var record = $$"""{"ts":"2026-03-01T09:16:00Z","machine":"press-4","level":"error","msg":"hydraulic pressure drop {{json}}"}""";
        Secret("logs", "JSON log canary", json);
        Secret("logs", "JSON log line", record);
        Add(VaultKind.Logs, "press-4.jsonl", Encoding.UTF8.GetBytes(record + "\n"));
    }

    private void Overrides()
    {
        var who = HexCanary("override-who");
        var what = HexCanary("override-what");
        var record = $$"""{"who":"j.meier {{who}}","when":"2026-03-01T09:15:00+01:00","machine":"press-4","what":"force limit 12 kN -> 13 kN {{what}}","why":"new die, supplier spec"}""";
        Secret("overrides", "override who canary", who);
        Secret("overrides", "override what canary", what);
        Secret("overrides", "override JSON record", record);
        Add(VaultKind.Overrides, "overrides.jsonl", Encoding.UTF8.GetBytes(record + "\n"));

        var why = HexCanary("override-why");
        var row = $"a.okafor,2026-03-01T10:02:30Z,press-4,\"reject bin override\",\"sensor fault, parts checked by hand {why}\"";
        Secret("overrides", "override why canary", why);
        Secret("overrides", "override CSV record", row);
        Add(VaultKind.Overrides, "overrides.csv", Encoding.UTF8.GetBytes("who,when,machine,what,why\n" + row + "\n"));
    }

    private void Photos()
    {
        foreach (var label in new[] { "scratch", "ok" })
        {
            var text = HexCanary($"photo-{label}");
            var pixels = RandomNumberGenerator.GetBytes(16);
            var png = Png(text, pixels);
            Secret("photos", $"{label} photo text chunk canary", text);
            Secret("photos", $"{label} photo pixel canary", pixels);
            // The photo trainer's view of those pixels (byte / 255 as float32), as an update would carry them if it leaked a sample.
            Secret("photos", $"{label} photo pixel canary as float32 LE, the photo trainer's features", LittleEndian([.. pixels.Select(pixel => (double)(pixel / 255f))], pixels.Length, asFloat32: true));
            Secret("photos", $"{label} photo's first {PhotoHeadBytes} bytes", png[..PhotoHeadBytes]);
            Secret("photos", $"{label} photo file", png);
            Add(VaultKind.Photos, Path.Combine(label, $"inspection-{label}.png"), png);
        }
    }

    private void Force()
    {
        const int rate = 1000;
        var canary = Enumerable.Range(0, 8).Select(_ => Math.Round(1000 + RandomNumberGenerator.GetInt32(9_000_000) / 1000.0 + 0.000137, 6)).ToArray();
        var rows = new List<string>();
        for (var sample = 0; sample < 40; sample++)
        {
            // A press-fit curve: force rising with the press-in depth, the canary run in the middle.
            var force = sample is >= 16 and < 24 ? canary[sample - 16] : 50.0 * sample;
            rows.Add(string.Create(CultureInfo.InvariantCulture, $"{sample / (double)rate:0.000},{force:0.######},{0.01 * sample:0.00}"));
        }

        foreach (var value in canary)
        {
            Secret("force", "force sample digits", value.ToString("0.######", CultureInfo.InvariantCulture));
        }

        Secret("force", "force run as float32 LE", LittleEndian(canary, 8, asFloat32: true));
        Secret("force", "force run as float64 LE", LittleEndian(canary, 8, asFloat32: false));
        for (var start = 0; start + 4 <= canary.Length; start++)
        {
            Secret("force", $"force samples {start}..{start + 3} as float32 LE", LittleEndian(canary[start..], 4, asFloat32: true));
            Secret("force", $"force samples {start}..{start + 3} as float64 LE", LittleEndian(canary[start..], 4, asFloat32: false));
        }

        foreach (var row in rows.Skip(16).Take(8))
        {
            Secret("force", "force CSV row", row);
        }

        var csv = $"{VaultValidator.SampleRatePrefix}{rate}\n{VaultValidator.TimeColumn},force_n,torque_nm\n{string.Join('\n', rows)}\n";
        Add(VaultKind.Force, "press-fit-0001.csv", Encoding.UTF8.GetBytes(csv));
        // Labelled, so the press-fit trainer trains on it rather than leaving it out.
        Add(VaultKind.Force, "press-fit-0001.csv" + VaultImporter.LabelSidecarSuffix, "faulty\n"u8.ToArray());
    }

    /// <summary>The first <paramref name="count"/> values as consecutive little-endian float32 or float64.</summary>
    public static byte[] LittleEndian(IReadOnlyList<double> values, int count, bool asFloat32)
    {
        var size = asFloat32 ? 4 : 8;
        var bytes = new byte[count * size];
        for (var index = 0; index < count; index++)
        {
            if (asFloat32)
            {
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(index * size), (float)values[index]);
            }
            else
            {
                BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(index * size), values[index]);
            }
        }

        return bytes;
    }

    /// <summary>
    /// A real grayscale PNG any decoder reads: a tEXt chunk with <paramref name="comment"/>, and the image data
    /// deflated without compression, so that row 14 holds <paramref name="canaryPixels"/> literally in the file.
    /// </summary>
    public static byte[] Png(string comment, byte[] canaryPixels)
    {
        var pixels = new byte[PhotoSide * PhotoSide];
        for (var row = 0; row < PhotoSide; row++)
        {
            for (var column = 0; column < PhotoSide; column++)
            {
                pixels[(row * PhotoSide) + column] = row == PhotoSide / 2 && column < canaryPixels.Length ? canaryPixels[column] : (byte)((row * 9 + column * 5) & 0xFF);
            }
        }

        return GrayPng.Encode(PhotoSide, PhotoSide, pixels, comment);
    }
}
