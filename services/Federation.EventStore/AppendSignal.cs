namespace Federation.EventStore;

/// <summary>
/// Lets the code that appends in this process wake the <see cref="CatchUpSubscription"/>s that follow the same
/// store, so they read a new event at once instead of at their next poll. Appends by other processes are still
/// found by polling; the signal only shortens the wait.
/// </summary>
public sealed class AppendSignal
{
    private TaskCompletionSource next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A task that completes at the next <see cref="Notify"/> after it was taken.</summary>
    public Task Next => Volatile.Read(ref next).Task;

    /// <summary>Wakes everyone waiting on <see cref="Next"/>. Call after an append has committed.</summary>
    public void Notify() =>
        Interlocked.Exchange(ref next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
