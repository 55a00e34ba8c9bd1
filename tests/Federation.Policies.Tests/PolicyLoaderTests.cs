using System.Security.Cryptography;
using System.Text;

namespace Federation.Policies.Tests;

public class PolicyLoaderTests
{
    [Fact]
    public void Example_policy_loads()
    {
        var loaded = PolicyLoader.Load(PolicyText.ExamplePath);
        var policy = loaded.Policy;

        policy.Id.ShouldBe("factory-1-release");
        policy.Version.ShouldBe(3);
        policy.Expires.ShouldBe(new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero));
        policy.AllowedKinds.ShouldBe([ReleaseKind.ModelUpdate, ReleaseKind.EvaluationMetrics]);
        policy.AggregatorKeyIds.Length.ShouldBe(1);
        policy.MinimumSamples.ShouldBe(1000);
        policy.Tensors.Select(t => t.Name).ShouldBe(["linear.bias", "linear.weight"]);
        policy.Tensors[1].Shape.ShouldBe([10, 784]);
        policy.Clipping!.MaxUpdateL2Norm.ShouldBe(10.0);
        policy.Privacy!.MaxExampleL2Norm.ShouldBe(1.0);
        policy.Privacy.MinNoiseMultiplier.ShouldBe(1.0);
        policy.Privacy.Budget.ShouldBe(new PrivacyBudget(8.0, 1e-5, TimeSpan.FromDays(30)));
        policy.Metrics.ShouldBe([new MetricRule("accuracy", 200), new MetricRule("loss", 200)]);
        loaded.SourceName.ShouldBe(PolicyText.ExamplePath);
    }

    [Fact]
    public void Hash_is_the_sha256_of_the_exact_file_bytes()
    {
        byte[] bytes = File.ReadAllBytes(PolicyText.ExamplePath);

        var loaded = PolicyLoader.Load(PolicyText.ExamplePath);

        loaded.Hash.ShouldBe(Convert.ToHexStringLower(SHA256.HashData(bytes)));
        PolicyHash.IsWellFormed(loaded.Hash).ShouldBeTrue();
    }

    [Fact]
    public void Byte_order_mark_and_line_endings_are_part_of_the_hash_but_not_of_the_policy()
    {
        byte[] plain = Encoding.UTF8.GetBytes(PolicyText.Valid);
        byte[] windows = [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(PolicyText.Valid.Replace("\n", "\r\n", StringComparison.Ordinal))];

        var a = PolicyLoader.FromBytes(plain, PolicyText.Source);
        var b = PolicyLoader.FromBytes(windows, PolicyText.Source);

        a.Hash.ShouldNotBe(b.Hash);
        b.Hash.ShouldBe(PolicyHash.Compute(windows));
        b.Policy.Id.ShouldBe(a.Policy.Id);
        b.Policy.Tensors.ShouldBe(a.Policy.Tensors, ignoreOrder: false, comparer: new TensorRuleComparer());
    }

    [Fact]
    public void Missing_file_fails_naming_the_path()
    {
        string path = Path.Combine(Path.GetTempPath(), $"no-such-policy-{Guid.NewGuid():N}.yaml");

        var error = Should.Throw<PolicyException>(() => PolicyLoader.Load(path));

        error.Message.ShouldStartWith($"{path}: policy file not found");
        error.Line.ShouldBeNull();
    }

    [Fact]
    public void File_that_is_not_utf8_fails()
    {
        var error = Should.Throw<PolicyException>(() => PolicyLoader.FromBytes([0x69, 0x64, 0x3A, 0x20, 0xC3, 0x28], PolicyText.Source));

        error.Message.ShouldBe($"{PolicyText.Source}: is not valid UTF-8");
    }

    [Fact]
    public void Policy_that_allows_nothing_needs_no_rules()
    {
        var policy = PolicyText.Parse($"""
            id: quiet
            version: 1
            expires: 2027-01-01T00:00:00+02:00
            allow: []
            aggregatorKeys: [{PolicyText.AggregatorKey}]
            """);

        policy.AllowedKinds.ShouldBeEmpty();
        policy.Allows(ReleaseKind.ModelUpdate).ShouldBeFalse();
        policy.Expires.Offset.ShouldBe(TimeSpan.FromHours(2));
        policy.Clipping.ShouldBeNull();
    }

    [Fact]
    public void Metrics_only_policy_needs_no_model_update_rules()
    {
        var policy = PolicyText.Parse($$"""
            id: metrics-only
            version: 1
            expires: 2027-01-01T00:00:00Z
            allow: [evaluation-metrics]
            aggregatorKeys: [{{PolicyText.AggregatorKey}}]
            metrics:
              accuracy: { minimumSamples: 50 }
            """);

        policy.Allows(ReleaseKind.EvaluationMetrics).ShouldBeTrue();
        policy.Tensors.ShouldBeEmpty();
        policy.Metrics.ShouldBe([new MetricRule("accuracy", 50)]);
    }

    private sealed class TensorRuleComparer : IEqualityComparer<TensorRule>
    {
        public bool Equals(TensorRule? x, TensorRule? y) =>
            x is not null && y is not null && x.Name == y.Name && x.Shape.SequenceEqual(y.Shape);

        public int GetHashCode(TensorRule obj) => obj.Name.GetHashCode(StringComparison.Ordinal);
    }
}
