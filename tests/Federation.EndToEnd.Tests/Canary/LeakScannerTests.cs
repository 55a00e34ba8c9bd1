using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Federation.Vault;

namespace Federation.EndToEnd.Tests.Canary;

/// <summary>The canary test's own parts: the scanner finds a secret in every encoding it claims, and the planted files are valid.</summary>
public sealed class LeakScannerTests
{
    private static readonly Secret Canary = new("photos", "pixel canary", Enumerable.Range(0, 16).Select(value => (byte)(value * 17 + 3)).ToArray());

    private static CapturedMessage Json(object body) => new("test", JsonSerializer.SerializeToUtf8Bytes(body), []);

    /// <summary>A message leaking <see cref="Canary"/> in each way the scanner claims to see, by name.</summary>
    private static Dictionary<string, CapturedMessage> LeakingMessages()
    {
        var hex = Convert.ToHexStringLower(Canary.Bytes);
        var messages = new Dictionary<string, CapturedMessage>
        {
            ["raw in the body"] = new("test", [1, 2, .. Canary.Bytes, 3], []),
            ["hex in a JSON string"] = Json(new { note = $"x{hex}y" }),
            ["upper-case hex"] = Json(new { note = hex.ToUpperInvariant() }),
            ["base64 payload"] = Json(new { payload = Convert.ToBase64String([9, .. Canary.Bytes, 9]) }),
            ["in a header"] = new("test", "{}"u8.ToArray(), [("x-note", Encoding.ASCII.GetBytes(hex))]),
            ["inside a JSON document held in a JSON string"] = Json(new { manifest = JsonSerializer.Serialize(new { inner = Convert.ToBase64String(Canary.Bytes) }) }),
        };
        for (var offset = 0; offset < 3; offset++)
        {
            // Inside a longer base64 text that is not a JSON string of its own: found by the aligned base64 forms.
            var text = "prefix " + Convert.ToBase64String([.. new byte[offset], .. Canary.Bytes, 7, 7, 7]);
            messages[$"base64 at byte offset {offset} inside text"] = new("test", Encoding.ASCII.GetBytes(text), []);
        }

        return messages;
    }

    public static TheoryData<string> Leaks() => [.. LeakingMessages().Keys];

    [Theory]
    [MemberData(nameof(Leaks))]
    public void A_secret_is_found(string how) =>
        LeakScanner.Find([LeakingMessages()[how]], [Canary]).ShouldHaveSingleItem(how);

    [Fact]
    public void Nothing_is_found_where_one_byte_of_the_secret_differs()
    {
        byte[] almost = [.. Canary.Bytes];
        almost[8] ^= 0x01;
        var message = Json(new { payload = Convert.ToBase64String(almost), note = Convert.ToHexStringLower(almost), raw = Encoding.Latin1.GetString(almost) });

        LeakScanner.Find([message], [Canary]).ShouldBeEmpty();
    }

    [Fact]
    public void Every_planted_file_is_valid_vault_data_and_holds_its_canaries()
    {
        var files = new CanaryFiles("factory-9");

        foreach (var (kind, path, content) in files.Files.Where(file => !VaultImporter.IsSidecar(file.RelativePath)))
        {
            var label = kind == VaultKind.Photos ? Path.GetDirectoryName(path) : null;
            VaultValidator.Validate(kind, Path.GetFileName(path), content, label, out var problem).ShouldNotBeNull($"{path}: {problem}");
        }

        files.Files.Select(file => file.Kind).Distinct().Order().ShouldBe(VaultKinds.All.Order());
        foreach (var secret in files.Secrets.Where(secret => !secret.What.Contains(" LE", StringComparison.Ordinal)))
        {
            files.Files.Count(file => file.Content.AsSpan().IndexOf(secret.Bytes) >= 0).ShouldBeGreaterThan(0, secret.ToString());
        }
    }

    [Fact]
    public void The_photos_are_real_PNGs_whose_pixel_rows_hold_the_canary()
    {
        var files = new CanaryFiles("factory-9");
        var (_, _, png) = files.Files.First(file => file.Kind == VaultKind.Photos);
        var pixels = files.Secrets.First(secret => secret.What.Contains("pixel canary", StringComparison.Ordinal)).Bytes;

        // Walk the chunks: IHDR, tEXt, IDAT, IEND, each length-prefixed; inflate the image data.
        var offset = 8;
        var image = new MemoryStream();
        var types = new List<string>();
        while (offset < png.Length)
        {
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(offset));
            var type = Encoding.ASCII.GetString(png, offset + 4, 4);
            types.Add(type);
            if (type == "IDAT")
            {
                using var zlib = new ZLibStream(new MemoryStream(png, offset + 8, length), CompressionMode.Decompress);
                zlib.CopyTo(image);
            }

            offset += 12 + length;
        }

        types.ShouldBe(["IHDR", "tEXt", "IDAT", "IEND"]);
        var rows = image.ToArray();
        rows.Length.ShouldBe(CanaryFiles.PhotoSide * (CanaryFiles.PhotoSide + 1));
        var middle = CanaryFiles.PhotoSide / 2 * (CanaryFiles.PhotoSide + 1);
        rows[middle].ShouldBe((byte)0);
        rows.AsSpan(middle + 1, pixels.Length).ToArray().ShouldBe(pixels);
    }
}
