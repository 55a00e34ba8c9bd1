using System.Text;
using System.Text.Json;
using Federation.Contracts;
using Federation.Contracts.Messages;
using Federation.Contracts.Signing;
using Federation.Learning.Tensors;
using Federation.Site;
using Federation.Site.Contributions;
using Federation.Site.Models;
using Federation.Site.Training;
using Federation.Trust;
using MassTransit;

namespace Federation.EndToEnd.Tests;

/// <summary>
/// An enrolled factory that poisons the model: it trains honestly, then sends its update
/// multiplied by <paramref name="Scale"/> (negative flips its sign), validly signed with its own key.
/// Signature checks cannot stop it; only a robust strategy can.
/// </summary>
public sealed record Poisoner(GatewayNode Node, Ed25519KeyPair Key, float Scale);

public sealed class PoisoningConsumer(Poisoner poisoner, GatewayModelFiles models) : IConsumer<RoundAnnouncedV2>
{
    public async Task Consume(ConsumeContext<RoundAnnouncedV2> context)
    {
        var honest = (await models.ContributeAsync(poisoner.Node, context.Message)).Message ?? throw new InvalidOperationException("the poisoner's policy refused its update");
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

public sealed class StragglingConsumer(Straggler straggler, GatewayModelFiles models) : IConsumer<RoundAnnouncedV2>
{
    public async Task Consume(ConsumeContext<RoundAnnouncedV2> context)
    {
        var contribution = (await models.ContributeAsync(straggler.Node, context.Message)).Message ?? throw new InvalidOperationException("the straggler's policy refused its update");
        var wait = context.Message.Deadline - DateTimeOffset.UtcNow + straggler.Delay;
        await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero);
        await context.Publish(contribution);
    }
}

/// <summary>
/// Enrolled gateways that misbehave: one flips a payload byte after signing, one sends a
/// manifest signed by a key that is not its own; and once, somebody sends pure garbage.
/// </summary>
public sealed record Adversaries(GatewayNode Tamperer, GatewayNode Forger, Ed25519KeyPair ForgersKey);

public sealed class AdversaryConsumer(Adversaries adversaries, GatewayModelFiles models) : IConsumer<RoundAnnouncedV2>
{
    public async Task Consume(ConsumeContext<RoundAnnouncedV2> context)
    {
        var round = context.Message;

        var tampered = (await models.ContributeAsync(adversaries.Tamperer, round)).Message ?? throw new InvalidOperationException("the tamperer's policy refused its update");
        var payload = tampered.Payload.ToArray();
        payload[^1] ^= 0x01;
        await context.Publish(tampered with { Payload = payload });

        var forged = (await models.ContributeAsync(adversaries.Forger, round)).Message ?? throw new InvalidOperationException("the forger's policy refused its update");
        var forgedSignature = adversaries.ForgersKey.Sign(Encoding.UTF8.GetBytes(forged.Manifest));
        await context.Publish(forged with { Signature = Convert.ToBase64String(forgedSignature) });

        if (round.Round == 1)
        {
            await context.Publish(new ContributionSubmitted("this is not a manifest", "", [1, 2, 3]));
        }
    }
}

/// <summary>What an honest gateway does first: fetch the announced base model by hash, then train and sign.</summary>
internal static class ModelFetching
{
    public static async Task<ReleaseResult<ContributionSubmitted>> ContributeAsync(this GatewayModelFiles models, GatewayNode node, RoundAnnouncedV2 round)
    {
        var path = await models.For(node).GetAsync(round.BaseModel);
        return node.Contribute(round, SafeTensors.Read(await File.ReadAllBytesAsync(path)));
    }
}

/// <summary>Counts every contribution put on the bus, honest or not.</summary>
public sealed class ContributionWiretap : IConsumer<ContributionSubmitted>
{
    private int count;

    public int Count => Volatile.Read(ref count);

    public Task Consume(ConsumeContext<ContributionSubmitted> context)
    {
        Interlocked.Increment(ref count);
        return Task.CompletedTask;
    }
}
