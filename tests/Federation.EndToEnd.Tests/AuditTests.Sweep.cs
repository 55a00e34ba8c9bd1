using System.Text;
using Federation.Audit.Bundles;
using Federation.Cli.Audit;

namespace Federation.EndToEnd.Tests;

/// <summary>One changed byte anywhere in the signed part of a bundle is caught and named.</summary>
public sealed partial class AuditTests
{
    // Every letter and digit of every key event, and every 7th of the other events (all of them take
    // half a minute): each change is named by its line, through the pinpointed leaf or a field.
    [Fact]
    public void Changing_one_byte_of_any_event_fails_verify_and_names_its_line()
    {
        var bundle = fixture.CopyOfBundle();
        Directory.Delete(Path.Combine(bundle, AuditBundle.PayloadsFolder), recursive: true);
        var path = Path.Combine(bundle, AuditBundle.EventsFile);
        var original = File.ReadAllBytes(path);
        var missed = new List<string>();
        var tried = 0;
        var lineStart = 0;
        for (var line = 1; lineStart < original.Length; line++)
        {
            var lineEnd = Array.IndexOf(original, (byte)'\n', lineStart);
            var keyEvent = AuditBundle.ParseEvent(Encoding.UTF8.GetString(original, lineStart, lineEnd - lineStart)).Type.StartsWith("federation.gateway-", StringComparison.Ordinal);
            for (var offset = lineStart; offset < lineEnd; offset += keyEvent ? 1 : 7)
            {
                var changed = Mutate(original[offset]);
                if (changed == original[offset])
                {
                    continue;
                }

                var bytes = (byte[])original.Clone();
                bytes[offset] = changed;
                File.WriteAllBytes(path, bytes);
                tried++;
                var report = new BundleVerifier(bundle, fixture.LogKey).Verify();
                if (report.Passed || !report.Findings.Any(finding => finding.Where.StartsWith($"events.jsonl line {line}", StringComparison.Ordinal)))
                {
                    var context = Encoding.UTF8.GetString(original, Math.Max(lineStart, offset - 30), Math.Min(60, lineEnd - Math.Max(lineStart, offset - 30)));
                    missed.Add($"line {line} byte {offset - lineStart} '{(char)original[offset]}'→'{(char)changed}' in …{context}… : {(report.Passed ? "passed" : string.Join(" | ", report.Findings))}");
                }
            }

            lineStart = lineEnd + 1;
        }

        tried.ShouldBeGreaterThan(2000);
        missed.ShouldBeEmpty();
    }

    [Fact]
    public void Changing_any_one_byte_of_the_checkpoint_fails_verify_at_the_checkpoint()
    {
        var bundle = fixture.CopyOfBundle();
        Directory.Delete(Path.Combine(bundle, AuditBundle.PayloadsFolder), recursive: true);
        var path = Path.Combine(bundle, AuditBundle.CheckpointFile);
        var original = File.ReadAllBytes(path);
        var missed = new List<int>();
        for (var offset = 0; offset < original.Length; offset++)
        {
            var bytes = (byte[])original.Clone();
            bytes[offset] = Mutate(original[offset]) is var changed && changed != original[offset] ? changed : (byte)(original[offset] ^ 0x01);
            File.WriteAllBytes(path, bytes);
            var report = new BundleVerifier(bundle, fixture.LogKey).Verify();
            if (report.Passed || !report.Findings.Any(finding => finding.Where.StartsWith(AuditBundle.CheckpointFile, StringComparison.Ordinal)))
            {
                missed.Add(offset);
            }
        }

        missed.ShouldBeEmpty();
    }

    // A change that keeps the JSON's shape: digits and letters move on by one; structure is left alone.
    private static byte Mutate(byte value) => value switch
    {
        >= (byte)'0' and < (byte)'9' => (byte)(value + 1),
        (byte)'9' => (byte)'0',
        >= (byte)'a' and < (byte)'z' => (byte)(value + 1),
        (byte)'z' => (byte)'a',
        >= (byte)'A' and < (byte)'Z' => (byte)(value + 1),
        (byte)'Z' => (byte)'A',
        _ => value,
    };
}
