using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Federation.Messaging.Tests;

/// <summary>Keeps every log message a host writes, so a test can read what an operator would see.</summary>
public sealed class ListLogger : ILoggerProvider, ILogger
{
    private readonly ConcurrentQueue<string> messages = new();

    public IReadOnlyList<string> Messages => [.. messages];

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        messages.Enqueue(formatter(state, exception));

    public void Dispose()
    {
    }
}
