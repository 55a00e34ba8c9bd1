using System.Text;
using Federation.Audit.Registry;
using Federation.Contracts.Events;
using Federation.Contracts.Messages;
using Federation.Contracts.Signing;
using Federation.Contracts;
using Federation.Coordination.Enrolment;
using Federation.Learning.Models;
using Federation.Learning.Tensors;
using Federation.Trust;

namespace Federation.Aggregator.Tests;

/// <summary>A gateway under the test's control: it can sign honestly, or sign whatever a test needs.</summary>
internal sealed class TestGateway(string id)
{
    public static readonly DateTimeOffset SignedAt = new(2026, 11, 22, 9, 0, 0, TimeSpan.Zero);
    public static readonly ModelSpec Spec = ModelSpec.LogisticRegression(4, 3);
    public static readonly TensorSet BaseModel = Spec.Initialize(1);
    public static readonly string BaseModelSha256 = Sha256Hex.Of(SafeTensors.Write(BaseModel));

    /// <summary>SHA-256 of the policy file every test gateway claims to release under.</summary>
    public static readonly string PolicySha256 = Sha256Hex.Of(Encoding.UTF8.GetBytes("test policy"));

    private long lastSequence;

    public string Id { get; } = id;

    public Ed25519KeyPair Key { get; } = Ed25519KeyPair.Generate();

    /// <summary>A registry in which each gateway's key was enrolled a day before <see cref="SignedAt"/>, allowing <see cref="PolicySha256"/>.</summary>
    public static GatewayRegistry Enrol(params TestGateway[] gateways) =>
        gateways.Aggregate(GatewayRegistry.Empty, (registry, gateway) => registry.Apply(new GatewayKeyEnrolled(
            gateway.Id, gateway.Key.KeyId, Convert.ToBase64String(gateway.Key.PublicKey.Span), [PolicySha256], "test", SignedAt.AddDays(-1))));

    /// <summary>A small update with the base model's layout.</summary>
    public static TensorSet Update(float value = 0.25f) =>
        new(BaseModel.Select(tensor => new Tensor(tensor.Name, tensor.Shape, Enumerable.Repeat(value, tensor.Values.Length).ToArray())));

    public EvaluationReported Report(int modelVersion, string modelSha256, params MetricValue[] metrics) =>
        Sign(new EvaluationReport(DocumentTypes.EvaluationReport, Id, Key.KeyId, modelVersion, modelSha256, metrics, SignedAt));

    /// <summary>A v2 report, which names its task.</summary>
    public EvaluationReported ReportFor(string task, int modelVersion, string modelSha256, params MetricValue[] metrics) =>
        Sign(new EvaluationReport(DocumentTypes.EvaluationReportV2, Id, Key.KeyId, modelVersion, modelSha256, metrics, SignedAt, task));

    /// <summary>Signs whatever report a test needs, well-formed or not.</summary>
    public EvaluationReported Sign(EvaluationReport report)
    {
        var json = JsonCanonicalizer.Serialize(report, FederationJson.Options);
        return new EvaluationReported(Encoding.UTF8.GetString(json), Convert.ToBase64String(Key.Sign(json)));
    }

    public ContributionSubmitted Contribute(TensorSet update, int round = 1, long samples = 100) =>
        Contribute(SafeTensors.Write(update), round, samples);

    /// <summary>Signs a contribution; its sequence number is the next of this gateway's unless <paramref name="sequence"/> is given.</summary>
    public ContributionSubmitted Contribute(
        byte[] payload, int round = 1, long samples = 100, Ed25519KeyPair? signWith = null, string? baseModelSha256 = null, long? sequence = null, string? policySha256 = null, string? keyId = null, string? task = null)
    {
        var manifest = new ContributionManifest(
            task is null ? DocumentTypes.ContributionManifest : DocumentTypes.ContributionManifestV2, Id, keyId ?? Key.KeyId, round, baseModelSha256 ?? BaseModelSha256,
            Sha256Hex.Of(payload), payload.Length, samples, sequence ?? ++lastSequence, policySha256 ?? PolicySha256, SignedAt, task);
        var json = JsonCanonicalizer.Serialize(manifest, FederationJson.Options);
        return new ContributionSubmitted(Encoding.UTF8.GetString(json), Convert.ToBase64String((signWith ?? Key).Sign(json)), payload);
    }
}
