using System.Text;
using System.Text.Json;
using Federation.Contracts;
using Federation.Contracts.Messages;
using Federation.Contracts.Signing;
using Federation.Gateway;
using Federation.Gateway.Training;
using Federation.Learning.Tensors;
using Federation.Trust;
using MassTransit;

namespace Federation.EndToEnd.Tests;

/// <summary>
/// An enrolled factory that poisons the model: it trains honestly, then sends its update
/// multiplied by <paramref name="Scale"/> (negative flips its sign), validly signed with its own key.
/// Signature checks cannot stop it; only a robust strategy can.
/// </summary>
public sealed record Poisoner(GatewayNode Node, Ed25519KeyPair Key, float Scale);

public sealed class PoisoningConsumer(Poisoner poisoner) : IConsumer<RoundAnnounced>
{
    public async Task Consume(ConsumeContext<RoundAnnounced> context)
    {
        var honest = poisoner.Node.Contribute(context.Message);
        var poisoned = new TensorSet(SafeTensors.Read(honest.Payload)
            .Select(tensor => new Tensor(tensor.Name, tensor.Shape, tensor.Values.Select(value => value * poisoner.Scale).ToArray())));
        var payload = SafeTensors.Write(poisoned);
        var manifest = JsonSerializer.Deserialize<ContributionManifest>(honest.Manifest, FederationJson.Options)!
            with { PayloadSha256 = Sha256Hex.Of(payload), PayloadBytes = payload.Length };
        var json = JsonCanonicalizer.Serialize(manifest, FederationJson.Options);
        await context.Publish(new ContributionSubmitted(Encoding.UTF8.GetString(json), Convert.ToBase64String(poisoner.Key.Sign(json)), payload));
    }
}

/// <summary>An enrolled factory that answers only after the round's deadline.</summary>
public sealed record Straggler(GatewayNode Node, TimeSpan Delay);

public sealed class StragglingConsumer(Straggler straggler) : IConsumer<RoundAnnounced>
{
    public async Task Consume(ConsumeContext<RoundAnnounced> context)
    {
        var contribution = straggler.Node.Contribute(context.Message);
        var wait = context.Message.Deadline - DateTimeOffset.UtcNow + straggler.Delay;
        await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero);
        await context.Publish(contribution);
    }
}
