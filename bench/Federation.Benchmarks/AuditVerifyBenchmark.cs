using Federation.Contracts.Tasks;
using System.Diagnostics;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text;
using Federation.Audit.Bundles;
using Federation.Audit.History;
using Federation.Audit.Transparency;
using Federation.Contracts.Events;
using Federation.Contracts.Messages;
using Federation.Contracts.Signing;
using Federation.Contracts;
using Federation.Coordination.History;
using Federation.Coordination.Transparency;
using Federation.EventStore;
using Federation.Trust.Transparency;
using Federation.Trust;

namespace Federation.Benchmarks;

/// <summary>
/// Builds a synthetic but realistic audit bundle without any network (rounds of a few gateways
/// enrolled by key events, whose contributions carry real Ed25519-signed canonical manifests, round and model events,
/// leaves, a signed checkpoint), then times <see cref="BundleVerifier"/> on one core: events/s and
/// signatures/s, next to libsodium's raw Ed25519 verify rate over the same messages.
/// </summary>
/// <remarks>Options: <c>audit-verify [events] [gateways]</c>, default 100000 8.</remarks>
public sealed class AuditVerifyBenchmark : IBenchmark
{
    private const string Origin = "bench.example/aggregator";
    private static readonly DateTimeOffset Start = new(2026, 11, 22, 9, 0, 0, TimeSpan.Zero);

    private static readonly JsonSerializerOptions ApiJson = new(JsonSerializerDefaults.Web) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <inheritdoc/>
    public string Name => "audit-verify";

    /// <inheritdoc/>
    public string Description => "Offline audit: verify a 100k-event signed bundle on one core vs raw Ed25519 verify [events] [gateways]";

    /// <inheritdoc/>
    public int Run(string[] arguments)
    {
        if (!TryArgument(arguments, 0, 100_000, out var events) || !TryArgument(arguments, 1, 8, out var gatewayCount) || events < 10 || gatewayCount is < 1 or > 64)
        {
            Console.WriteLine("usage: audit-verify [events >= 10] [gateways 1..64]");
            return 2;
        }

        var oneCore = PinToOneCore();
        var root = Path.Combine(Path.GetTempPath(), $"federation-audit-bench-{Guid.NewGuid():N}");
        try
        {
            var gateways = Enumerable.Range(1, gatewayCount).Select(index => (Id: $"factory-{index:D2}", Key: Ed25519KeyPair.FromSeed(Seed(index)))).ToList();
            using var logKey = Ed25519KeyPair.FromSeed(Seed(1000));

            // Warm up the JIT on a small bundle so the measurement is steady-state code.
            var warm = Build(Path.Combine(root, "warm"), 2_000, gateways, logKey);
            Verify(warm.Directory, warm.LogKey);

            var buildWatch = Stopwatch.StartNew();
            var bundle = Build(Path.Combine(root, "bundle"), events, gateways, logKey);
            buildWatch.Stop();
            var bundleBytes = Directory.GetFiles(bundle.Directory).Sum(file => new FileInfo(file).Length);

            GC.Collect();
            GC.WaitForPendingFinalizers();
            var verifyWatch = Stopwatch.StartNew();
            var report = Verify(bundle.Directory, bundle.LogKey);
            verifyWatch.Stop();

            var raw = MeasureRawVerify(bundle.Signed, gateways);
            var verifySeconds = verifyWatch.Elapsed.TotalSeconds;
            var rawPerSignature = raw.Seconds / raw.Count;

            Console.WriteLine(Invariant($"audit-verify: {events:N0} events = {gatewayCount} key enrolments + {bundle.Accepted:N0} contribution-accepted (real Ed25519 manifests, {gatewayCount} gateway keys) + {bundle.Rejected:N0} rejected + {bundle.Rounds:N0} rounds opened/closed + {bundle.Versions:N0} model versions"));
            Console.WriteLine(Invariant($"bundle: {bundleBytes / 1e6:F1} MB without payloads, built in {buildWatch.Elapsed.TotalSeconds:F1} s; {(oneCore ? "process pinned to one core" : "could not pin to one core (affinity unsupported)")}; verifier single-threaded"));
            Console.WriteLine();
            Console.WriteLine("measurement                               | seconds | events/s | signatures/s | µs/signature");
            Console.WriteLine("----------------------------------------- | ------- | -------- | ------------ | ------------");
            Console.WriteLine(Invariant($"{"BundleVerifier.Verify (whole bundle)",-41} | {verifySeconds,7:F2} | {report.EventsChecked / verifySeconds,8:N0} | {report.SignaturesVerified / verifySeconds,12:N0} | {verifySeconds * 1e6 / report.SignaturesVerified,12:F1}"));
            Console.WriteLine(Invariant($"{"libsodium Ed25519.Verify, same messages",-41} | {raw.Seconds,7:F2} | {"-",8} | {raw.Count / raw.Seconds,12:N0} | {rawPerSignature * 1e6,12:F1}"));
            Console.WriteLine();
            Console.WriteLine(Invariant($"Ed25519 is {rawPerSignature * report.SignaturesVerified / verifySeconds:P0} of the verifier's time; the rest is JSON parsing, RFC 8785 canonicalization (leaves, data, manifests) and SHA-256."));
            Console.WriteLine(Invariant($"verifier: {report.EventsChecked:N0} events, {report.SignaturesVerified:N0}/{report.SignaturesChecked:N0} signatures, {report.ModelVersionsTraced:N0}/{report.ModelVersions:N0} versions traced, root matches: {report.RootMatches}, findings: {report.Findings.Count}; raw verify ok: {raw.Valid:N0}/{raw.Count:N0}"));
            foreach (var finding in report.Findings.Take(5))
            {
                Console.WriteLine($"  {finding}");
            }

            return report.Passed && raw.Valid == raw.Count ? 0 : 1;
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    private static AuditReport Verify(string directory, string logKey) => new BundleVerifier(directory, logKey).Verify();

    private static (double Seconds, int Count, int Valid) MeasureRawVerify(List<(int Gateway, byte[] Message, byte[] Signature)> signed, List<(string Id, Ed25519KeyPair Key)> gateways)
    {
        var keys = gateways.Select(gateway => gateway.Key.PublicKey.ToArray()).ToArray();
        for (var i = 0; i < Math.Min(500, signed.Count); i++)
        {
            Ed25519.Verify(keys[signed[i].Gateway], signed[i].Message, signed[i].Signature);
        }

        var valid = 0;
        var watch = Stopwatch.StartNew();
        foreach (var (gateway, message, signature) in signed)
        {
            valid += Ed25519.Verify(keys[gateway], message, signature) ? 1 : 0;
        }

        watch.Stop();
        return (watch.Elapsed.TotalSeconds, signed.Count, valid);
    }

    // Rounds as the aggregator writes them: opened, every gateway's signed contribution (every tenth round
    // also a rejected one), closed at quorum, then the model version that lists the accepted ones.
    private static SyntheticBundle Build(string directory, int eventCount, List<(string Id, Ed25519KeyPair Key)> gateways, Ed25519KeyPair logKey)
    {
        Directory.CreateDirectory(directory);
        var tree = new MerkleTree();
        var signed = new List<(int, byte[], byte[])>();
        var (accepted, rejected, rounds, versions) = (0, 0, 0, 0);
        long position = 0;
        long modelsVersion = 0;
        using var events = new StreamWriter(Path.Combine(directory, AuditBundle.EventsFile), false, new UTF8Encoding(false)) { NewLine = "\n" };
        using var leaves = new StreamWriter(Path.Combine(directory, AuditBundle.LeafHashesFile), false, new UTF8Encoding(false)) { NewLine = "\n" };

        bool Append(string stream, long streamVersion, IFederationEvent federationEvent)
        {
            if (position == eventCount)
            {
                return false;
            }

            position++;
            var data = EventHistory.ToEventData(federationEvent);
            var recorded = new RecordedEvent(position, stream, streamVersion, data.EventId, data.Type, data.Data, data.Metadata, Start.AddMilliseconds(position * 7));
            var leaf = EventLeaf.Bytes(recorded);
            tree.Append(leaf);
            events.WriteLine(JsonSerializer.Serialize(recorded, ApiJson));
            leaves.WriteLine(Convert.ToHexStringLower(MerkleHash.Leaf(leaf)));
            return true;
        }

        string ModelSha256(int version) => Sha256Hex.Of(Encoding.UTF8.GetBytes($"model {version}"));

        // The keys are events, as on a real aggregator: each gateway's enrolment opens its gateway-<id> stream.
        foreach (var (id, key) in gateways)
        {
            Append(EventStreams.Gateway(id), 1, new GatewayKeyEnrolled(id, key.KeyId, Convert.ToBase64String(key.PublicKey.Span), [PolicySha256], "bench", Start.AddDays(-1)));
        }

        var parameters = new Dictionary<string, double>();
        Append(EventStreams.Models(TaskIds.Default), ++modelsVersion, new ModelVersionPublished(0, ModelSha256(0), 204, null, null, "initial", parameters, null, [], Start));
        versions++;
        for (var round = 1; position < eventCount; round++)
        {
            var stream = EventStreams.Round(TaskIds.Default, round);
            long streamVersion = 0;
            var now = Start.AddSeconds(round);
            var invited = gateways.Select(gateway => gateway.Id).ToList();
            if (!Append(stream, ++streamVersion, new RoundOpened(
                round, round - 1, ModelSha256(round - 1), "fedavg", parameters, null, gateways.Count, invited, new TrainingPlan(1, 32, 0.1, 1, 0), now.AddMinutes(5), now)))
            {
                break;
            }

            rounds++;
            if (round % 10 == 0)
            {
                var (id, key) = gateways[round % gateways.Count];
                var (manifest, _) = Sign(id, key, round, ModelSha256(round - 1), Sha256Hex.Of(Encoding.UTF8.GetBytes($"forged {round}")), 1000, now);
                var forged = Convert.ToBase64String(new byte[Ed25519.SignatureLength]);
                rejected += Append(stream, ++streamVersion, new ContributionRejected(
                    round, id, key.KeyId, Sha256Hex.Of(Encoding.UTF8.GetBytes($"forged {round}")), RejectionReason.BadSignature,
                    $"The Ed25519 signature does not verify against the enrolled key {key.KeyId} of gateway '{id}'.", manifest, forged, now)) ? 1 : 0;
            }

            var used = new List<ContributionUsed>();
            for (var index = 0; index < gateways.Count; index++)
            {
                var (id, key) = gateways[index];
                var payloadSha256 = Sha256Hex.Of(Encoding.UTF8.GetBytes($"update {round} {id}"));
                var samples = 500 + ((round * 31 + index * 17) % 1500);
                var (manifest, signature) = Sign(id, key, round, ModelSha256(round - 1), payloadSha256, samples, now.AddSeconds(index + 1));
                if (!Append(stream, ++streamVersion, new ContributionAccepted(round, id, key.KeyId, payloadSha256, 168, samples, round, PolicySha256, manifest, Convert.ToBase64String(signature), now.AddSeconds(index + 2))))
                {
                    break;
                }

                accepted++;
                signed.Add((index, Encoding.UTF8.GetBytes(manifest), signature));
                used.Add(new ContributionUsed(id, key.KeyId, payloadSha256, samples, true));
            }

            if (used.Count < gateways.Count
                || !Append(stream, ++streamVersion, new RoundClosed(round, RoundOutcome.QuorumReached, used.Count, round % 10 == 0 ? 1 : 0, null, now.AddSeconds(30)))
                || !Append(EventStreams.Models(TaskIds.Default), ++modelsVersion, new ModelVersionPublished(round, ModelSha256(round), 204, round, round - 1, "fedavg", parameters, null, used, now.AddSeconds(31))))
            {
                break;
            }

            versions++;
        }

        var verifier = new NoteSigner(Origin, logKey);
        File.WriteAllText(Path.Combine(directory, AuditBundle.CheckpointFile), new Checkpoint(Origin, tree.Size, tree.RootHash()).Sign(verifier));
        File.WriteAllText(Path.Combine(directory, AuditBundle.LogKeyFile), verifier.Verifier.VerifierKey + "\n");
        return new SyntheticBundle(directory, verifier.Verifier.VerifierKey, signed, accepted, rejected, rounds, versions);
    }

    // Every synthetic gateway releases under the same policy file.
    private static readonly string PolicySha256 = Sha256Hex.Of(Encoding.UTF8.GetBytes("synthetic policy"));

    private static (string Manifest, byte[] Signature) Sign(string gatewayId, Ed25519KeyPair key, int round, string baseModelSha256, string payloadSha256, long samples, DateTimeOffset createdAt)
    {
        var manifest = new ContributionManifest(DocumentTypes.ContributionManifest, gatewayId, key.KeyId, round, baseModelSha256, payloadSha256, 168, samples, Sequence: round, PolicySha256, createdAt);
        var canonical = JsonCanonicalizer.Serialize(manifest, FederationJson.Options);
        return (Encoding.UTF8.GetString(canonical), key.Sign(canonical));
    }

    private static bool PinToOneCore()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsWindows())
        {
            return false;
        }

        try
        {
            Process.GetCurrentProcess().ProcessorAffinity = 1;
            return true;
        }
        catch (Exception error) when (error is PlatformNotSupportedException or System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return false;
        }
    }

    private static byte[] Seed(int index)
    {
        var seed = new byte[Ed25519.SeedLength];
        BitConverter.TryWriteBytes(seed, index);
        seed[31] = 0xA5;
        return seed;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static bool TryArgument(string[] arguments, int position, int fallback, out int value)
    {
        value = fallback;
        return arguments.Length <= position
            || int.TryParse(arguments[position], NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out value);
    }

    private sealed record SyntheticBundle(
        string Directory, string LogKey, List<(int Gateway, byte[] Message, byte[] Signature)> Signed, int Accepted, int Rejected, int Rounds, int Versions);
}
