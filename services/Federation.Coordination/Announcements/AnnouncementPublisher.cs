using System.Collections.Concurrent;
using Federation.Audit.History;
using Federation.Contracts.Events;
using Federation.Contracts.Messages;
using Federation.Contracts.Tasks;
using Federation.Coordination.History;
using Federation.Coordination.Payloads;
using Federation.EventStore;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Federation.Coordination.Announcements;

/// <summary>
/// Tells the gateways what the history says: follows every event from its <see cref="AnnouncementCheckpoint"/>
/// and publishes <see cref="RoundAnnouncedV2"/> for each <see cref="RoundOpened"/> and <see cref="ModelPublishedV2"/>
/// for each <see cref="ModelVersionPublished"/>, of every task, then saves the checkpoint. So an announcement is never
/// lost between an append and a publish: a crash before the publish is made good on restart.
/// </summary>
/// <remarks>
/// <para>
/// The task of an event is the task of the stream it was recorded in (<see cref="EventStreams.TaskOf"/>): task
/// <c>default</c> for the legacy <c>round-n</c> and <c>models</c> streams. Models are named by a
/// <see cref="ModelReference"/> (hash and length, read from the payload store's file system entry): the publisher never
/// loads a model, and gateways fetch the bytes from <c>GET /api/model-files/{sha256}</c> (docs/FORMATS.md, model
/// download). Only the v2 messages are published, also for task <c>default</c>: a v1 announcement still waiting in an
/// old queue is read by the gateways as one of task <c>default</c>, and publishing both would make every gateway
/// decide twice on one round. A gateway too old to read v2 must be upgraded before this aggregator runs.
/// </para>
/// <para>
/// Each message's MessageId is the id of the event it announces. A crash after the publish but before the
/// checkpoint is saved sends the announcement again under the same id, and gateways treat a repeat as a no-op.
/// The checkpoint is saved only once <c>Publish</c> has returned, which on RabbitMQ means the broker confirmed it.
/// </para>
/// <para>
/// Catch-up rules: a <see cref="RoundOpened"/> is not announced when its round has already closed (a
/// <see cref="RoundClosed"/> in that task's round stream) or its deadline has passed, since every contribution to it
/// would be rejected (after a long stop, announcing it would only make the gateways train for nothing). Every model
/// version from a round is announced, also on catch-up: each is evaluated once by every gateway and recorded per
/// version, and a version left out would stay a gap in the model team's accuracy record for good; there is normally
/// at most one unannounced version per task, since rounds need announcements to progress. Version 0, the initial
/// model, reaches the gateways as round 1's base model, as before.
/// </para>
/// <para>
/// Repeats: while the latest round of a task the publisher has reached is open and within its deadline, its
/// announcement is published again every <see cref="AnnouncementOptions.RepeatInterval"/>, under the same MessageId;
/// each task has its own latest round. A gateway whose queue did not exist when the round opened (its first start)
/// gets the round from the next repeat; the others ignore it as they ignore any repeat. The repeats follow the first
/// announcement's decision rules (<see cref="StaleReason"/>), and stop for good once the round closes or its deadline
/// passes. To know the open rounds after a restart, the publisher reads the history from its start, announcing only
/// what lies past the checkpoint.
/// </para>
/// <para>
/// A failure (broker down, payload missing) is logged and the same event is tried again with growing pauses:
/// announcements keep the history's order, and skipping one would lose it for good.
/// </para>
/// </remarks>
public sealed class AnnouncementPublisher(
    EventHistory history,
    PayloadStore payloads,
    AnnouncementCheckpoint checkpoint,
    IBus bus,
    AnnouncementOptions options,
    TimeProvider clock,
    ILogger<AnnouncementPublisher> logger)
    : BackgroundService
{
    /// <summary>How often to look for events appended by other processes; this process's appends wake it at once.</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan LongestRetryDelay = TimeSpan.FromSeconds(30);
    private static readonly string RoundOpenedType = EventTypes.NameOf(typeof(RoundOpened));
    private static readonly string RoundClosedType = EventTypes.NameOf(typeof(RoundClosed));
    private static readonly string ModelVersionPublishedType = EventTypes.NameOf(typeof(ModelVersionPublished));

    /// <summary>Per task, the latest round opening the publisher has reached, to repeat while it is open; absent when there is none to repeat.</summary>
    private readonly ConcurrentDictionary<string, RoundOpening> latestOpenings = new(StringComparer.Ordinal);

    /// <summary>
    /// Why a round's opening is no longer worth announcing at <paramref name="now"/>, or null when it is.
    /// </summary>
    /// <param name="opened">The round's opening event.</param>
    /// <param name="closed">Whether the history holds the round's closing event.</param>
    /// <param name="now">The time of the decision.</param>
    public static string? StaleReason(RoundOpened opened, bool closed, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(opened);
        if (closed)
        {
            return "it has closed";
        }

        return now > opened.Deadline ? $"its deadline {opened.Deadline:O} has passed" : null;
    }

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        options.RepeatInterval is { } interval
            ? Task.WhenAll(FollowHistoryAsync(stoppingToken), RepeatAsync(interval, stoppingToken))
            : FollowHistoryAsync(stoppingToken);

    private async Task FollowHistoryAsync(CancellationToken stoppingToken)
    {
        var subscription = new CatchUpSubscription(history.Store, PollInterval, history.Appended);
        long? resumedAt = null;
        long handled = 0;
        var retryDelay = FirstRetryDelay;
        while (true)
        {
            try
            {
                resumedAt ??= await ResumePositionAsync(stoppingToken);
                await foreach (var recorded in subscription.SubscribeAllAsync(handled + 1, stoppingToken))
                {
                    if (recorded.Type == RoundOpenedType)
                    {
                        // Remembered before the first announcement, so a repeat never misses a round already announced.
                        var opening = new RoundOpening(TaskOf(recorded), recorded, (RoundOpened)EventHistory.Deserialize(recorded));
                        latestOpenings[opening.Task] = opening;
                    }

                    if (recorded.Position > resumedAt)
                    {
                        await HandleAsync(recorded, stoppingToken);
                    }

                    handled = recorded.Position;
                    retryDelay = FirstRetryDelay;
                }
            }
            catch (Exception error) when (!stoppingToken.IsCancellationRequested)
            {
                // The store or the broker may be back in a moment; the aggregator keeps serving meanwhile.
                logger.LogError(error, "Announcing the event after position {Position} failed; trying again in {Delay}", handled, retryDelay);
                await Task.Delay(retryDelay, stoppingToken);
                retryDelay = TimeSpan.FromTicks(Math.Min(retryDelay.Ticks * 2, LongestRetryDelay.Ticks));
            }
        }
    }

    /// <summary>Every <paramref name="interval"/>, announces each task's latest round again while it is open and within its deadline.</summary>
    private async Task RepeatAsync(TimeSpan interval, CancellationToken stoppingToken)
    {
        while (true)
        {
            await Task.Delay(interval, clock, stoppingToken);
            foreach (var opening in latestOpenings.Values)
            {
                try
                {
                    if (!await AnnounceRoundAsync(opening, stoppingToken))
                    {
                        // Closed or past its deadline: that stays so, and a newer round of the task replaces it when it opens.
                        latestOpenings.TryRemove(new KeyValuePair<string, RoundOpening>(opening.Task, opening));
                    }
                }
                catch (Exception error) when (!stoppingToken.IsCancellationRequested)
                {
                    // The next repeat tries again; the first announcement has its own retries.
                    logger.LogWarning(error, "Announcing round {Round} of task {Task} again failed; trying again in {Interval}", opening.Opened.Round, opening.Task, interval);
                }
            }
        }
    }

    /// <summary>The last position handled before this start: the saved checkpoint, if it belongs to this history.</summary>
    private async Task<long> ResumePositionAsync(CancellationToken cancellationToken)
    {
        AnnouncedPosition? saved;
        try
        {
            saved = await checkpoint.LoadAsync(cancellationToken);
        }
        catch (InvalidDataException error)
        {
            logger.LogWarning("{Problem} Announcing from the start of the history; gateways ignore what they already had.", error.Message);
            return 0;
        }

        if (saved is null)
        {
            return 0;
        }

        var atPosition = await history.Store.ReadAllAsync(Math.Max(saved.Position, 1), cancellationToken).FirstOrDefaultAsync(cancellationToken);
        if (atPosition?.Position == saved.Position && atPosition.EventId == saved.EventId)
        {
            return saved.Position;
        }

        logger.LogWarning(
            "The announcement checkpoint {Path} names event {EventId} at position {Position}, which this history does not hold; announcing from the start of the history",
            checkpoint.Path, saved.EventId, saved.Position);
        return 0;
    }

    private async Task HandleAsync(RecordedEvent recorded, CancellationToken cancellationToken)
    {
        if (recorded.Type == RoundOpenedType)
        {
            await AnnounceRoundAsync(new RoundOpening(TaskOf(recorded), recorded, (RoundOpened)EventHistory.Deserialize(recorded)), cancellationToken);
        }
        else if (recorded.Type == ModelVersionPublishedType && EventHistory.Deserialize(recorded) is ModelVersionPublished { Round: int round } published)
        {
            var task = TaskOf(recorded);
            await PublishAsync(new ModelPublishedV2(task, published.Version, ReferenceTo(published.ModelSha256), round), recorded, cancellationToken);
            logger.LogInformation("Announced model version {Version} of task {Task}", published.Version, task);
        }
        else
        {
            // Nothing to say. Not checkpointed one by one: after a restart these few are read again, publishing nothing.
            return;
        }

        // Not cancelled by a shutdown: the broker has confirmed, and an unsaved checkpoint means one more repeat.
        await checkpoint.SaveAsync(new AnnouncedPosition(recorded.Position, recorded.EventId), CancellationToken.None);
    }

    /// <summary>Publishes the round's announcement under its opening event's id; false when it is no longer worth it.</summary>
    private async Task<bool> AnnounceRoundAsync(RoundOpening opening, CancellationToken cancellationToken)
    {
        var (task, recorded, opened) = opening;
        // A round that closes between this look and the publish is still announced; its contributions are then
        // rejected as late or for a closed round, which is what they would have been anyway.
        var closed = await history.Store.ReadStreamAsync(EventStreams.Round(task, opened.Round), 1, cancellationToken)
            .AnyAsync(stored => stored.Type == RoundClosedType, cancellationToken);
        if (StaleReason(opened, closed, clock.GetUtcNow()) is { } reason)
        {
            logger.LogInformation("Not announcing round {Round} of task {Task}: {Reason}", opened.Round, task, reason);
            return false;
        }

        await PublishAsync(
            new RoundAnnouncedV2(task, opened.Round, opened.BaseModelVersion, ReferenceTo(opened.BaseModelSha256), opened.Training, opened.Invited, opened.Deadline),
            recorded,
            cancellationToken);
        logger.LogInformation("Announced round {Round} of task {Task} to {Invited} gateways", opened.Round, task, opened.Invited.Count);
        return true;
    }

    /// <summary>The task of an event: that of its stream (a round or models stream always has one).</summary>
    private static string TaskOf(RecordedEvent recorded) => EventStreams.TaskOf(recorded.StreamId) ?? TaskIds.Default;

    /// <summary>Names a stored model by hash and length; its bytes stay on disk.</summary>
    /// <exception cref="FileNotFoundException">The payload store does not hold the model.</exception>
    private ModelReference ReferenceTo(string sha256) => new(sha256, payloads.LengthOf(sha256));

    private Task PublishAsync<T>(T message, RecordedEvent announced, CancellationToken cancellationToken)
        where T : class =>
        bus.Publish(message, context => context.MessageId = announced.EventId, cancellationToken);

    /// <summary>A round's task and opening event, as recorded (its id is the announcement's MessageId) and as read.</summary>
    private sealed record RoundOpening(string Task, RecordedEvent Recorded, RoundOpened Opened);
}
