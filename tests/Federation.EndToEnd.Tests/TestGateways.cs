using Federation.Cli.Demo;
using Federation.Gateway;
using Federation.Learning.Models;
using Federation.Trust;

namespace Federation.EndToEnd.Tests;

/// <summary>Gateways for in-process federations, each with its own key and a policy file like the demo's.</summary>
public static class TestGateways
{
    private static readonly string PolicyDirectory = Path.Combine(Path.GetTempPath(), $"federation-e2e-policies-{Guid.NewGuid():N}");

    /// <summary>A gateway for Fashion-MNIST logistic regression, signing with <paramref name="key"/> (a new key when null).</summary>
    public static GatewayNode Create(string id, LocalData data, Ed25519KeyPair? key = null)
    {
        var spec = ModelSpec.LogisticRegression(data.Training.FeatureCount, data.Training.ClassCount);
        var policy = DemoPolicy.Write(
            Path.Combine(PolicyDirectory, $"{id}-{Guid.NewGuid():N}.yaml"), id, spec, aggregatorKeyId: new string('0', 64), DateTimeOffset.UtcNow.AddYears(1));
        return new GatewayNode(id, key ?? Ed25519KeyPair.Generate(), policy, data, TimeProvider.System);
    }
}
