using System.Collections.Concurrent;
using MassTransit;

namespace Federation.Messaging.Tests;

/// <summary>Collects the messages of one type that a host received, and waits for a particular one.</summary>
public sealed class Recorder<T>
    where T : class
{
    private readonly ConcurrentQueue<ConsumeContext<T>> received = new();
    private readonly SemaphoreSlim arrived = new(0);

    public void Add(ConsumeContext<T> context)
    {
        received.Enqueue(context);
        arrived.Release();
    }

    public int Count(Func<T, bool> match) => received.Count(context => match(context.Message));

    public async Task<ConsumeContext<T>> WaitForAsync(Func<T, bool> match, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var found = received.FirstOrDefault(context => match(context.Message));
            if (found is not null)
            {
                return found;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !await arrived.WaitAsync(left))
            {
                throw new TimeoutException($"No matching {typeof(T).Name} arrived within the timeout ({received.Count} others did).");
            }
        }
    }
}

/// <summary>A consumer that only records what it receives.</summary>
public sealed class RecordingConsumer<T>(Recorder<T> recorder) : IConsumer<T>
    where T : class
{
    public Task Consume(ConsumeContext<T> context)
    {
        recorder.Add(context);
        return Task.CompletedTask;
    }
}

/// <summary>Records what the host's real consumers received, without replacing them.</summary>
public sealed class RecordingObserver<T>(Recorder<T> recorder) : IConsumeObserver
    where T : class
{
    public Task PreConsume<TMessage>(ConsumeContext<TMessage> context)
        where TMessage : class => Task.CompletedTask;

    public Task PostConsume<TMessage>(ConsumeContext<TMessage> context)
        where TMessage : class
    {
        if (context is ConsumeContext<T> wanted)
        {
            recorder.Add(wanted);
        }

        return Task.CompletedTask;
    }

    public Task ConsumeFault<TMessage>(ConsumeContext<TMessage> context, Exception exception)
        where TMessage : class => Task.CompletedTask;
}
