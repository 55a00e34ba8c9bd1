using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Text;
using Federation.Contracts.Events;
using Federation.Coordination.Rounds;
using Federation.EndToEnd.Tests.MultiProcess;
using Federation.Site.Contributions;
using Federation.Site.Outbox;
using Federation.Site.State;
using Federation.Site.Training;
using Federation.Vault;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;
using Xunit.Abstractions;

namespace Federation.EndToEnd.Tests.Canary;

/// <summary>
/// The promise to a factory, tested: canaries planted in every kind of its raw data never reach the bus, nor does any
/// raw record, over several rounds of training and evaluation — checked on the exact bytes handed to the in-memory
/// transport, and on RabbitMQ against the broker's own copy of everything published. Each run ends with a leaky
/// gateway message sent the gateways' way, which must be caught, so the check is known to see what it looks for.
/// </summary>
public sealed class CanaryTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    [Theory]
    [InlineData(CanaryTraining.Photos)]
    [InlineData(CanaryTraining.PressFit)]
    [InlineData(CanaryTraining.PyTorch)]
    public async Task No_canary_or_raw_record_reaches_the_in_memory_transport_over_three_rounds(CanaryTraining training)
    {
        // Given two factories that train on canaried vaults, and a capture at the transport boundary
        var sites = await CanarySites.CreateAsync(training);
        var capture = new TransportCapture();

        // When three rounds run, with evaluations
        await using var federation = await InProcessFederation.StartAsync(
            sites.Gateways, [], sites.Plan(), addServices: services => services.AddSendObserver(_ => capture).AddPublishObserver(_ => capture), model: sites.Model);
        await RunAsync(federation, sites);
        var honest = capture.Messages();

        // Then the capture saw every message the gateways sent, and none carries a secret
        ShouldHaveSeenEverythingSent(honest, sites);
        ShouldCarryNoSecret(honest, sites);

        // and a leaky gateway message sent the same way is caught, every secret of it
        var leak = await PublishLeakAsync(federation, sites);
        ShouldCatchEverySecret(capture.Messages().Where(message => message.MessageId == leak), sites);
    }

    [Theory]
    [InlineData(CanaryTraining.Photos)]
    [InlineData(CanaryTraining.PressFit)]
    [InlineData(CanaryTraining.PyTorch)]
    public async Task No_canary_or_raw_record_is_in_the_RabbitMQ_firehose_copy_of_everything_published_over_three_rounds(CanaryTraining training)
    {
        // Given the same factories on a vhost of their own whose every publish RabbitMQ copies to its firehose
        var sites = await CanarySites.CreateAsync(training);
        var vhost = $"e2e-canary-{Guid.NewGuid():N}"[..24];
        await TracedVhostAsync("create", vhost);
        try
        {
            await using var firehose = await FirehoseCapture.StartAsync(Broker(vhost));

            // When three rounds run over RabbitMQ
            await using var federation = await InProcessFederation.StartAsync(
                sites.Gateways, [], sites.Plan(), settings: BusSettings(vhost), model: sites.Model);
            await RunAsync(federation, sites);
            var sent = sites.Sent().Select(entry => entry.MessageId).ToHashSet();
            await firehose.WaitForAsync(copy => sent.IsSubsetOf(copy.Select(message => message.MessageId ?? Guid.Empty)), Patience, "every message the gateways sent");
            var honest = firehose.Messages;

            // Then the broker's copy holds every message the gateways sent, and none carries a secret
            ShouldHaveSeenEverythingSent(honest, sites);
            ShouldCarryNoSecret(honest, sites);

            // and a leaky gateway message sent the same way is caught in the broker's copy
            var leak = await PublishLeakAsync(federation, sites);
            await firehose.WaitForAsync(copy => copy.Any(message => message.MessageId == leak), Patience, "the leaky message");
            ShouldCatchEverySecret(firehose.Messages.Where(message => message.MessageId == leak), sites);
        }
        finally
        {
            await TracedVhostAsync("delete", vhost);
        }
    }

    private static async Task RunAsync(InProcessFederation federation, CanarySites sites)
    {
        if (sites.CnnModel is not null)
        {
            await sites.CreateCnnTaskAsync(federation.Services);
        }

        await federation.Services.GetRequiredService<FederationProgress>().TaskPlanCompleted(sites.Task).WaitAsync(Patience);
        ShouldHaveTrainedOnEveryVaultSample(sites);
        var deadline = DateTime.UtcNow + Patience;
        while (!(await EvaluatedLastVersionAsync(federation, sites) && sites.Gateways.All(gateway => gateway.State.PendingOutbox().Count == 0)))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The gateways did not report on model version {CanarySites.Rounds} within {Patience}.");
            }

            await Task.Delay(200);
        }
    }

    private static async Task<bool> EvaluatedLastVersionAsync(InProcessFederation federation, CanarySites sites)
    {
        var reported = (await federation.EventsAsync()).OfType<EvaluationRecorded>()
            .Where(evaluation => evaluation.ModelVersion == CanarySites.Rounds).Select(evaluation => evaluation.GatewayId).ToHashSet();
        return sites.Gateways.All(gateway => reported.Contains(gateway.Id));
    }

    /// <summary>The capture is not blind: each gateway's every sent outbox entry (contributions for every round, evaluations) is in it.</summary>
    private void ShouldHaveSeenEverythingSent(IReadOnlyList<CapturedMessage> captured, CanarySites sites)
    {
        var seen = captured.Select(message => message.MessageId).OfType<Guid>().ToHashSet();
        var sent = sites.Sent();
        sent.Where(entry => !seen.Contains(entry.MessageId)).ShouldBeEmpty("sent by a gateway but not in the capture");
        foreach (var gateway in sites.Gateways)
        {
            sent.Count(entry => entry.Gateway == gateway.Id && entry.Kind == OutboxKinds.Contribution).ShouldBe(CanarySites.Rounds);
            sent.Count(entry => entry.Gateway == gateway.Id && entry.Kind == OutboxKinds.Evaluation).ShouldBeGreaterThanOrEqualTo(CanarySites.Rounds);
        }

        output.WriteLine(
            $"{captured.Count} messages captured ({captured.Sum(message => (long)message.Body.Length)} body bytes), {sent.Count} of them sent by gateways; " +
            $"{sites.Secrets.Count} secrets searched: {string.Join(", ", sites.Secrets.GroupBy(secret => secret.Kind).Select(kind => $"{kind.Count()} {kind.Key}"))}");
    }

    /// <summary>
    /// The canaried samples were among those trained on or held out for evaluation: each released update's decision says
    /// its trainer read every stored entry of the trained kind and left none out.
    /// </summary>
    private static void ShouldHaveTrainedOnEveryVaultSample(CanarySites sites)
    {
        var kind = sites.Training == CanaryTraining.PressFit ? VaultKind.Force : VaultKind.Photos;
        for (var site = 0; site < sites.Gateways.Count; site++)
        {
            var stored = sites.Vaults[site].Entries(kind).Count;
            var released = sites.Gateways[site].State.Decisions().Where(decision => decision.Allowed && decision.Kind == "model-update").ToList();
            released.Count.ShouldBe(CanarySites.Rounds);
            foreach (var decision in released)
            {
                var read = decision.Checks.Single(check => check.Name == LocalTraining.TrainingCheck).Detail;
                read.ShouldNotContain("left out");
                if (sites.Training == CanaryTraining.PyTorch)
                {
                    // The external trainer is given exactly the entries not held out; the evaluate mode gets the rest.
                    var heldOut = sites.Vaults[site].Entries(kind).Count(entry => VaultHoldout.IsHeldOut(entry.Sha256, CanarySites.HoldoutFraction));
                    var given = Regex.Match(read, @"given (\d+) vault entries of kind photos");
                    given.Success.ShouldBeTrue(read);
                    int.Parse(given.Groups[1].Value, CultureInfo.InvariantCulture).ShouldBe(stored - heldOut, read);
                    // and photo_cnn.py trained on every one of them (it names any it skipped on its stderr)
                    read.ShouldContain($"stderr: DP-SGD on {stored - heldOut} entries:");
                    continue;
                }

                var counts = Regex.Match(read, @"(\d+) vault entries of kind \w+ for training, (\d+) held out");
                counts.Success.ShouldBeTrue(read);
                (int.Parse(counts.Groups[1].Value, CultureInfo.InvariantCulture) + int.Parse(counts.Groups[2].Value, CultureInfo.InvariantCulture)).ShouldBe(stored, read);
            }
        }
    }

    private static void ShouldCarryNoSecret(IReadOnlyList<CapturedMessage> captured, CanarySites sites) =>
        LeakScanner.Find(captured, sites.Secrets).ShouldBeEmpty();

    private static void ShouldCatchEverySecret(IEnumerable<CapturedMessage> leak, CanarySites sites)
    {
        var leaked = leak.ToList();
        leaked.Count.ShouldBe(1);
        var found = LeakScanner.Find(leaked, sites.Secrets);
        found.Count.ShouldBe(sites.Secrets.Count, "every secret planted in the leaky message must be found:\n" + string.Join("\n", found));
    }

    /// <summary>
    /// The negative control: a gateway message that leaks every secret (text ones inside its signed document, all of
    /// them as raw bytes in its payload), put on the bus by the gateways' own outbox publisher.
    /// </summary>
    private static async Task<Guid> PublishLeakAsync(InProcessFederation federation, CanarySites sites)
    {
        var text = sites.Secrets.Select(secret => TryUtf8(secret.Bytes)).OfType<string>().ToList();
        var entry = new OutboxEntry(
            Guid.NewGuid(), OutboxKinds.Contribution, JsonSerializer.Serialize(new { leaked = text }), "",
            [.. sites.Secrets.SelectMany(secret => secret.Bytes)], DateTimeOffset.UtcNow, 0);
        await federation.Services.GetRequiredService<IOutboxPublisher>().PublishAsync(sites.Gateways[0], entry, CancellationToken.None);
        return entry.MessageId;
    }

    private static string? TryUtf8(byte[] bytes)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    private static int BrokerPort =>
        int.TryParse(Environment.GetEnvironmentVariable("FEDERATION_RABBITMQ_PORT"), out var port) ? port : 55672;

    /// <summary>Federation's RabbitMQ node (ops/rabbitmq/up.sh); the whole in-process federation signs in as federation-admin.</summary>
    private static ConnectionFactory Broker(string vhost) => new()
    {
        HostName = "127.0.0.1", Port = BrokerPort, VirtualHost = vhost, UserName = "federation-admin", Password = "federation-admin",
    };

    private static Dictionary<string, string?> BusSettings(string vhost) => new()
    {
        ["Bus:Kind"] = "RabbitMQ",
        ["Bus:RabbitMQ:Port"] = BrokerPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Bus:RabbitMQ:VirtualHost"] = vhost,
        ["Bus:RabbitMQ:Username"] = "federation-admin",
        ["Bus:RabbitMQ:Password"] = "federation-admin",
    };

    private static Task TracedVhostAsync(string action, string vhost) =>
        Repository.RunScriptAsync(Path.Combine("ops", "rabbitmq", "traced-vhost.sh"), new Dictionary<string, string>(), action, vhost);
}
