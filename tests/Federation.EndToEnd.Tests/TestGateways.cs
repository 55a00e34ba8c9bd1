using Federation.Cli.Demo;
using Federation.Learning.Models;
using Federation.Site;
using Federation.Site.State;
using Federation.Site.Training;
using Federation.Trust;
using Federation.Vault.Datasets;

namespace Federation.EndToEnd.Tests;

/// <summary>
/// Gateways for in-process federations, each with its own key, its own state folder and a policy file like the demo's
/// naming <see cref="AggregatorKey"/>, which every <see cref="InProcessFederation"/> gives its aggregator.
/// </summary>
public static class TestGateways
{
    private static readonly string Root = Path.Combine(Path.GetTempPath(), $"federation-e2e-gateways-{Guid.NewGuid():N}");

    /// <summary>The aggregator key every test federation runs with, so the gateways' policies can name it.</summary>
    public static Ed25519KeyPair AggregatorKey { get; } = Ed25519KeyPair.Generate();

    /// <summary>A fresh folder for a gateway's files (policy, state, vault).</summary>
    public static string NewFolder(string id) => Directory.CreateDirectory(Path.Combine(Root, $"{id}-{Guid.NewGuid():N}")).FullName;

    /// <summary>
    /// A gateway for Fashion-MNIST logistic regression, signing with <paramref name="key"/> (a new key when null), with its
    /// policy and its state (in <c>state/</c>) in <paramref name="folder"/> (a new one when null).
    /// </summary>
    public static GatewayNode Create(string id, LocalData data, Ed25519KeyPair? key = null, string? folder = null) =>
        Create(id, new Federation.Site.Training.DatasetTrainer(data), ModelSpec.LogisticRegression(data.Training.FeatureCount, data.Training.ClassCount), key, folder);

    /// <summary>A gateway that trains <paramref name="spec"/> with <paramref name="trainer"/>, under the demo's policy for that model.</summary>
    public static GatewayNode Create(string id, Federation.Site.Training.ILocalTrainer trainer, ModelSpec spec, Ed25519KeyPair? key = null, string? folder = null) =>
        Create(id, new TaskTrainers(trainer), spec, tasks: null, key, folder);

    /// <summary>
    /// A gateway whose task default trains <paramref name="spec"/> and whose other tasks have their own trainers, under
    /// the demo's policy for that model plus <paramref name="tasks"/>, the policy's <c>tasks:</c> section.
    /// </summary>
    public static GatewayNode Create(string id, TaskTrainers trainers, ModelSpec spec, string? tasks, Ed25519KeyPair? key = null, string? folder = null)
    {
        folder ??= NewFolder(id);
        var policy = DemoPolicy.Write(
            Path.Combine(folder, "policy.yaml"), id, spec, AggregatorKey.KeyId, DateTimeOffset.UtcNow.AddYears(1), tasks);
        return new GatewayNode(id, key ?? Ed25519KeyPair.Generate(), policy, trainers, TimeProvider.System, AggregatorKey.KeyId, GatewayState.Open(Path.Combine(folder, "state")));
    }
}
