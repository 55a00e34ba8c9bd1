namespace Federation.Policies.Tests;

/// <summary>A valid policy with known line numbers, and a way to change one line of it.</summary>
internal static class PolicyText
{
    public const string Source = "policies/test.yaml";

    public const string AggregatorKey = "2a141ee6b873c35bb332a897eb502593efae8b07b26c970f3e8a4eef37699a73";

    public const string OtherKey = "0000000000000000000000000000000000000000000000000000000000000001";

    public const string PolicyHash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    // Line numbers matter: tests point at them.
    public static readonly string Valid = $"""
        id: factory-1
        name: Factory 1
        version: 3
        expires: 2027-01-01T00:00:00Z
        allow: [model-update, evaluation-metrics]
        aggregatorKeys:
          - {AggregatorKey}
        minimumSamples: 1000
        tensors:
          linear.weight: [10, 784]
          linear.bias: [10]
        clipping:
          maxUpdateL2Norm: 1.0
        privacy:
          maxExampleL2Norm: 2.0
          minNoiseMultiplier: 1.1
          budget:
            epsilon: 8.0
            delta: 1.0e-5
            window: 30d
        metrics:
          accuracy:
            minimumSamples: 200
          loss:
            minimumSamples: 200
        """;

    /// <summary>The valid policy with whole lines replaced; each original line must occur exactly once.</summary>
    public static string With(params (string Line, string Replacement)[] changes)
    {
        var lines = Valid.Split('\n');
        foreach (var (line, replacement) in changes)
        {
            int[] matches = [.. Enumerable.Range(0, lines.Length).Where(i => lines[i] == line)];
            matches.Length.ShouldBe(1, $"line '{line}' should occur once in the test policy");
            lines[matches[0]] = replacement;
        }

        return string.Join('\n', lines);
    }

    public static Policy Parse(string yaml) => PolicyLoader.Parse(yaml, Source);

    public static Policy Parse(params (string Line, string Replacement)[] changes) => Parse(With(changes));

    public static string ExamplePath => Path.Combine(AppContext.BaseDirectory, "policies", "example.yaml");

    public static string SchemaPath => Path.Combine(AppContext.BaseDirectory, "policies", "policy.schema.json");
}
