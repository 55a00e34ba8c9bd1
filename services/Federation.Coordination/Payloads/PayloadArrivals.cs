namespace Federation.Coordination.Payloads;

/// <summary>
/// Tells a contribution whose payload travels apart from it when there is something to check: the
/// <see cref="PayloadUploads"/> (and the <see cref="PayloadAssembly"/> of chunks) signal each payload they complete or give up on, and whoever waits for that hash
/// wakes at once instead of looking again and again.
/// </summary>
public sealed class PayloadArrivals(PayloadStore store)
{
    private readonly Lock sync = new();
    private readonly Dictionary<string, Waiting> waiting = new(StringComparer.Ordinal);

    /// <summary>
    /// Completes when the payload with this SHA-256 is in the store or its assembly failed (at once when either is
    /// already so). Its bytes arrive by another path (an upload, or chunks), so this wait is all that stands in between.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public async Task WhenAssembledAsync(string sha256, CancellationToken cancellationToken)
    {
        // Registered before looking, so a completion between the look and the wait is not missed.
        Waiting entry;
        lock (sync)
        {
            entry = waiting.TryGetValue(sha256, out var existing) ? existing : waiting[sha256] = new Waiting();
            entry.Count++;
        }

        try
        {
            if (!store.Contains(sha256) && store.AssemblyFailure(sha256) is null)
            {
                await entry.Signal.Task.WaitAsync(cancellationToken);
            }
        }
        finally
        {
            lock (sync)
            {
                if (--entry.Count == 0)
                {
                    waiting.Remove(sha256);
                }
            }
        }
    }

    /// <summary>Whether a contribution is waiting for this payload right now.</summary>
    public bool IsAwaited(string sha256)
    {
        lock (sync)
        {
            return waiting.ContainsKey(sha256);
        }
    }

    /// <summary>Wakes everyone waiting for <paramref name="sha256"/>: its assembly completed or failed.</summary>
    public void Settled(string sha256)
    {
        lock (sync)
        {
            if (waiting.TryGetValue(sha256, out var entry))
            {
                entry.Signal.TrySetResult();
            }
        }
    }

    /// <summary>The contributions waiting for one payload, and the signal that wakes them all.</summary>
    private sealed class Waiting
    {
        public TaskCompletionSource Signal { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Count { get; set; }
    }
}
