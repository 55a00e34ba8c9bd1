using System.Text;
using Federation.Contracts.Messages;
using Federation.Gateway;
using Federation.Gateway.Training;
using Federation.Trust;
using MassTransit;

namespace Federation.EndToEnd.Tests;

/// <summary>
/// Enrolled gateways that misbehave: one flips a payload byte after signing, one sends a
/// manifest signed by a key that is not its own; and once, somebody sends pure garbage.
/// </summary>
public sealed record Adversaries(GatewayNode Tamperer, GatewayNode Forger, Ed25519KeyPair ForgersKey);

public sealed class AdversaryConsumer(Adversaries adversaries) : IConsumer<RoundAnnounced>
{
    public async Task Consume(ConsumeContext<RoundAnnounced> context)
    {
        var round = context.Message;

        var tampered = adversaries.Tamperer.Contribute(round);
        var payload = tampered.Payload.ToArray();
        payload[^1] ^= 0x01;
        await context.Publish(tampered with { Payload = payload });

        var forged = adversaries.Forger.Contribute(round);
        var forgedSignature = adversaries.ForgersKey.Sign(Encoding.UTF8.GetBytes(forged.Manifest));
        await context.Publish(forged with { Signature = Convert.ToBase64String(forgedSignature) });

        if (round.Round == 1)
        {
            await context.Publish(new ContributionSubmitted("this is not a manifest", "", [1, 2, 3]));
        }
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
