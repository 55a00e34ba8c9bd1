using Federation.Contracts.Messages;
using Federation.Site.State;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Federation.Site.Outbox;

/// <summary>Puts one outbox entry on the bus; completes only when the bus has confirmed it.</summary>
public interface IOutboxPublisher
{
    /// <summary>Publishes <paramref name="entry"/> of <paramref name="gateway"/>'s outbox under its own message id.</summary>
    /// <param name="gateway">The gateway whose outbox holds the entry.</param>
    /// <param name="entry">The entry.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    Task PublishAsync(GatewayNode gateway, OutboxEntry entry, CancellationToken cancellationToken);
}

/// <summary>
/// Publishes outbox entries on the MassTransit bus, each with the message id fixed when it was written. A contribution
/// whose payload waits in a file first uploads the file (<see cref="IPayloadDestination"/>, resuming what an earlier
/// attempt sent), then goes out with an empty payload: the signed manifest names the payload by hash.
/// </summary>
/// <param name="bus">The bus; with RabbitMQ, a publish completes after the broker's publisher confirm.</param>
/// <param name="payloads">Where each gateway uploads payload files.</param>
public sealed class BusOutboxPublisher(IBus bus, GatewayPayloadDestinations payloads) : IOutboxPublisher
{
    /// <inheritdoc />
    public async Task PublishAsync(GatewayNode gateway, OutboxEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        ArgumentNullException.ThrowIfNull(entry);
        switch (entry.Kind)
        {
            case OutboxKinds.Contribution when entry.PayloadFile is { } file:
                // The file is named by its SHA-256 (GatewayState.WriteOutboxPayload).
                await payloads.For(gateway).SendAsync(Path.GetFileName(file), file, cancellationToken);
                await bus.Publish(new ContributionSubmitted(entry.Document, entry.Signature, []), context => context.MessageId = entry.MessageId, cancellationToken);
                break;
            case OutboxKinds.Contribution:
                await bus.Publish(
                    new ContributionSubmitted(entry.Document, entry.Signature, entry.Payload ?? throw new InvalidDataException($"Outbox entry {entry.MessageId} is a contribution without a payload.")),
                    context => context.MessageId = entry.MessageId,
                    cancellationToken);
                break;
            case OutboxKinds.Evaluation:
                await bus.Publish(new EvaluationReported(entry.Document, entry.Signature), context => context.MessageId = entry.MessageId, cancellationToken);
                break;
            default:
                throw new InvalidDataException($"Outbox entry {entry.MessageId} has the unknown kind '{entry.Kind}'.");
        }
    }
}

/// <summary>How the outbox sender waits after a failed publish: doubling from <see cref="Initial"/> up to <see cref="Maximum"/>.</summary>
public sealed class OutboxRetryOptions
{
    /// <summary>The wait after the first failure.</summary>
    public TimeSpan Initial { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between attempts; the sender never gives up.</summary>
    public TimeSpan Maximum { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the outbox is looked at even when nothing signalled a new entry.</summary>
    public TimeSpan Poll { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The wait after <paramref name="failures"/> consecutive failures (at least 1).</summary>
    public TimeSpan Delay(int failures) =>
        TimeSpan.FromTicks(Math.Min(Maximum.Ticks, Initial.Ticks * (1L << Math.Clamp(failures - 1, 0, 30))));
}

/// <summary>
/// Drains the outboxes of the gateways in this process: publishes each pending entry, oldest first, with its own
/// message id, and marks it sent only after the publish was confirmed. When the bus fails it logs the attempt, waits
/// (doubling up to <see cref="OutboxRetryOptions.Maximum"/>) and tries again, forever: nothing is dropped. Entries
/// left pending by a previous run are sent after start. A crash between the confirm and the mark sends the entry
/// again under the same message id, which the aggregator recognises (duplicate contribution or replayed sequence);
/// a payload upload cut off midway resumes from the bytes the aggregator holds.
/// </summary>
public sealed class OutboxSender(
    IEnumerable<GatewayNode> gateways, IOutboxPublisher publisher, OutboxRetryOptions retry, ILogger<OutboxSender> logger)
    : BackgroundService
{
    private readonly SemaphoreSlim written = new(0);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var nodes = gateways.ToList();
        foreach (var node in nodes)
        {
            node.State.OutboxWritten += Wake;
            lock (node.ReleaseGate)
            {
                node.State.RemoveUnreferencedPayloadFiles();
            }
        }

        try
        {
            int failures = 0;
            while (!stoppingToken.IsCancellationRequested)
            {
                // Drain every wake-up that has come in; the pass below sees everything written before it.
                while (written.CurrentCount > 0)
                {
                    await written.WaitAsync(stoppingToken);
                }

                try
                {
                    failures = await DrainAsync(nodes, failures, stoppingToken);
                }
                catch (Exception error) when (error is not OperationCanceledException)
                {
                    // The state database itself failed (disk full, locked): keep the entries, wait, try again.
                    failures++;
                    logger.LogError(error, "The outbox could not be read or updated; retrying in {Delay}", retry.Delay(failures));
                }

                var wait = failures > 0 ? retry.Delay(failures) : retry.Poll;
                if (failures > 0)
                {
                    await Task.Delay(wait, stoppingToken);
                }
                else
                {
                    await written.WaitAsync(wait, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what is still pending stays in the outbox for the next start.
        }
        finally
        {
            foreach (var node in nodes)
            {
                node.State.OutboxWritten -= Wake;
            }
        }
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        written.Dispose();
        base.Dispose();
    }

    private void Wake() => written.Release();

    /// <summary>Sends what is pending; returns the number of consecutive failures (0 when everything went out).</summary>
    private async Task<int> DrainAsync(List<GatewayNode> nodes, int failures, CancellationToken cancellationToken)
    {
        foreach (var node in nodes)
        {
            foreach (var entry in node.State.PendingOutbox())
            {
                try
                {
                    await publisher.PublishAsync(node, entry, cancellationToken);
                }
                catch (Exception error) when (!cancellationToken.IsCancellationRequested)
                {
                    int attempts = node.State.RecordFailedAttempt(entry.MessageId, node.Clock.GetUtcNow(), error.Message);
                    failures++;
                    logger.LogWarning(
                        "Gateway {Gateway} could not send {Kind} {MessageId} (attempt {Attempt}): {Error}. It stays in the outbox; retrying in {Delay}.",
                        node.Id, entry.Kind, entry.MessageId, attempts, error.Message, retry.Delay(failures));
                    return failures;
                }

                node.State.MarkSent(entry.MessageId, node.Clock.GetUtcNow());
                logger.LogInformation("Gateway {Gateway} sent {Kind} {MessageId} after {Attempts} failed attempts", node.Id, entry.Kind, entry.MessageId, entry.Attempts);
            }
        }

        return 0;
    }
}
