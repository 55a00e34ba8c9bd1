using System.Diagnostics;
using System.Security.Cryptography;
using Federation.Audit.Tasks;

namespace Federation.Aggregator.Tests.Tasks;

/// <summary>The Python check of version 0 in docs/FORMATS.md, run as written, agrees with the aggregator.</summary>
public sealed class VersionZeroPythonCheckTests
{
    private static string Formats()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var path = Path.Combine(directory.FullName, "docs", "FORMATS.md");
            if (File.Exists(path))
            {
                return File.ReadAllText(path);
            }
        }

        throw new FileNotFoundException("docs/FORMATS.md not found above the test's directory.");
    }

    private static string DocumentedCheck()
    {
        var formats = Formats();
        var start = formats.IndexOf("import json, struct, hashlib\ndef version_zero_sha256", StringComparison.Ordinal);
        start.ShouldBeGreaterThan(0, "FORMATS.md lost its Python check of version 0");
        return formats[start..formats.IndexOf("```", start, StringComparison.Ordinal)];
    }

    [Fact]
    public async Task The_documented_python_recomputes_version_zero_of_an_f16_and_bf16_file()
    {
        // conv1.weight F16 [1.5, -2] and head.bias BF16 [1.0], names given out of order and with metadata.
        var header = """{"head.bias":{"dtype":"BF16","shape":[1],"data_offsets":[4,6]},"__metadata__":{"by":"model team"},"conv1.weight":{"dtype":"F16","shape":[2,1,1,1],"data_offsets":[0,4]}}"""u8.ToArray();
        byte[] file = [.. BitConverter.GetBytes((long)header.Length), .. header, 0x00, 0x3E, 0x00, 0xC0, 0x80, 0x3F];
        var path = Path.Combine(Path.GetTempPath(), $"v0-{Guid.NewGuid():N}.safetensors");
        await File.WriteAllBytesAsync(path, file);
        try
        {
            var script = DocumentedCheck() + "\nimport sys\nprint(version_zero_sha256(sys.argv[1]))\n";
            var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add("-");
            start.ArgumentList.Add(path);
            using var python = Process.Start(start)!;
            await python.StandardInput.WriteAsync(script);
            python.StandardInput.Close();
            var output = await python.StandardOutput.ReadToEndAsync();
            var errors = await python.StandardError.ReadToEndAsync();
            await python.WaitForExitAsync();

            python.ExitCode.ShouldBe(0, errors);
            output.Trim().ShouldBe(Convert.ToHexStringLower(SHA256.HashData(InitialModel.ToVersionZero("init.safetensors", file))));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
