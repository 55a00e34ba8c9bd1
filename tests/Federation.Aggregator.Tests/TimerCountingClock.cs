using Microsoft.Extensions.Time.Testing;

namespace Federation.Aggregator.Tests;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that also tells how many of its timers wait to fire. The announcement publisher's
/// only timer is its wait for the next repeat, so "one timer waits" is how a test sees that the publisher finished a
/// pass and sleeps, without waiting for any real time.
/// </summary>
internal sealed class TimerCountingClock(DateTimeOffset start) : FakeTimeProvider(start)
{
    private int pending;

    /// <summary>Timers created and neither fired (if they fire once) nor disposed.</summary>
    public int PendingTimers => Volatile.Read(ref pending);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        Interlocked.Increment(ref pending);
        var counted = new CountedTimer(this);
        var firesOnce = period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero;
        counted.Inner = base.CreateTimer(
            timerState =>
            {
                if (firesOnce)
                {
                    counted.StopCounting();
                }

                callback(timerState);
            },
            state,
            dueTime,
            period);
        return counted;
    }

    private sealed class CountedTimer(TimerCountingClock clock) : ITimer
    {
        private int stopped;

        public ITimer Inner { get; set; } = null!;

        public void StopCounting()
        {
            if (Interlocked.Exchange(ref stopped, 1) == 0)
            {
                Interlocked.Decrement(ref clock.pending);
            }
        }

        public bool Change(TimeSpan dueTime, TimeSpan period) => Inner.Change(dueTime, period);

        public void Dispose()
        {
            StopCounting();
            Inner.Dispose();
        }

        public async ValueTask DisposeAsync()
        {
            StopCounting();
            await Inner.DisposeAsync();
        }
    }
}
