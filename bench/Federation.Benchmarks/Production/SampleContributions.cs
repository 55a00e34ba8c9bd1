using System.Text;
using Federation.Audit.History;
using Federation.Contracts.Events;
using Federation.Contracts.Messages;
using Federation.Contracts.Signing;
using Federation.Contracts;
using Federation.Coordination.History;
using Federation.Learning.Models;
using Federation.Learning.Tensors;
using Federation.Trust;

namespace Federation.Benchmarks.Production;

/// <summary>
/// Contributions as a gateway makes them (<c>Federation.Site.Contributions.LocalTraining</c>): an update
/// in safetensors, a <see cref="ContributionManifest"/> over its hash in RFC 8785 JSON, signed with the
/// gateway's Ed25519 key. Only the training is left out: the update's values are seeded random numbers
/// of the model's layout, so every gateway's payload is distinct and passes every check.
/// </summary>
internal static class SampleContributions
{
    /// <summary>A benchmark gateway's id; enrolled with the aggregator, not a broker user.</summary>
    public static string GatewayId(int index) => $"bench-gw-{index:D5}";

    /// <summary>SHA-256 of the policy file every benchmark gateway releases under.</summary>
    public static readonly string PolicySha256 = Sha256Hex.Of(Encoding.UTF8.GetBytes("benchmark policy"));

    /// <summary>A benchmark gateway's key, the same for the same index on every run.</summary>
    public static Ed25519KeyPair Key(int index)
    {
        var seed = new byte[Ed25519.SeedLength];
        BitConverter.TryWriteBytes(seed, index);
        seed[31] = 0xB3;
        return Ed25519KeyPair.FromSeed(seed);
    }

    /// <summary>An update (local minus base weights) with <paramref name="spec"/>'s layout, as safetensors bytes.</summary>
    public static byte[] Update(ModelSpec spec, int seed)
    {
        var random = new Random(seed);
        var layout = spec.Initialize(seed: 1);
        var tensors = layout.Select(tensor =>
        {
            var values = new float[tensor.Values.Length];
            for (var i = 0; i < values.Length; i++)
            {
                // The size of one local epoch's step for a small model.
                values[i] = (float)((random.NextDouble() - 0.5) * 0.02);
            }

            return new Tensor(tensor.Name, tensor.Shape, values);
        });
        return SafeTensors.Write(new TensorSet(tensors));
    }

    /// <summary>Signs a manifest for <paramref name="payload"/> exactly as a gateway does.</summary>
    public static ContributionSubmitted Sign(
        string gatewayId, Ed25519KeyPair key, int round, string baseModelSha256, byte[] payload, long sampleCount, DateTimeOffset now)
    {
        var (manifest, signature) = SignManifest(gatewayId, key, round, baseModelSha256, Sha256Hex.Of(payload), payload.Length, sampleCount, now);
        return new ContributionSubmitted(manifest, signature, payload);
    }

    /// <summary>Signs a manifest for a payload known by its hash and length, exactly as a gateway does; returns the canonical JSON and the signature.</summary>
    public static (string Manifest, string Signature) SignManifest(
        string gatewayId, Ed25519KeyPair key, int round, string baseModelSha256, string payloadSha256, long payloadBytes, long sampleCount, DateTimeOffset now)
    {
        var manifest = new ContributionManifest(
            DocumentTypes.ContributionManifest,
            gatewayId,
            key.KeyId,
            round,
            baseModelSha256,
            payloadSha256,
            payloadBytes,
            sampleCount,
            // Each benchmark gateway contributes once, so its first sequence number.
            1,
            PolicySha256,
            // Gateways sign times truncated to milliseconds (GatewayNode.Now).
            new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero));
        var canonical = JsonCanonicalizer.Serialize(manifest, FederationJson.Options);
        return (Encoding.UTF8.GetString(canonical), Convert.ToBase64String(key.Sign(canonical)));
    }

    /// <summary>
    /// The stored JSON of real <see cref="ContributionAccepted"/> events, as the aggregator appends them
    /// (canonical JSON with the signed manifest inside), for <paramref name="count"/> different gateways.
    /// </summary>
    public static List<string> AcceptedEventData(int count)
    {
        var now = new DateTimeOffset(2026, 11, 22, 9, 0, 0, TimeSpan.Zero);
        var baseModelSha256 = Sha256Hex.Of(Encoding.UTF8.GetBytes("base model"));
        var data = new List<string>(count);
        for (var index = 0; index < count; index++)
        {
            using var key = Key(index);
            var payloadSha256 = Sha256Hex.Of(Encoding.UTF8.GetBytes($"update {index}"));
            var manifest = new ContributionManifest(
                DocumentTypes.ContributionManifest, GatewayId(index), key.KeyId, 7, baseModelSha256, payloadSha256, 400_780, 1_000 + index, 1, PolicySha256, now);
            var canonical = JsonCanonicalizer.Serialize(manifest, FederationJson.Options);
            var accepted = new ContributionAccepted(
                7, GatewayId(index), key.KeyId, payloadSha256, 400_780, 1_000 + index, 1, PolicySha256, Encoding.UTF8.GetString(canonical),
                Convert.ToBase64String(key.Sign(canonical)), now.AddSeconds(index));
            data.Add(EventHistory.ToEventData(accepted).Data);
        }

        return data;
    }
}
