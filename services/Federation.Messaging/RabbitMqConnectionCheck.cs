using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace Federation.Messaging;

/// <summary>
/// Signs in to the broker once before MassTransit starts. MassTransit alone would retry a bad
/// password or an unreachable host for ever, logging transport errors; this check fails the
/// host's startup within <see cref="RabbitMqBusOptions.ConnectTimeout"/> with a message that
/// names the setting to fix.
/// </summary>
internal sealed class RabbitMqConnectionCheck(RabbitMqBusOptions options, ILogger<RabbitMqConnectionCheck> logger) : IHostedService
{
    private const string Section = RabbitMqBusOptions.Section;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // An unreachable broker may come back (a network cut, a broker still booting): within
        // WaitForBroker, keep trying with backoff. Any other failure is a setting to fix.
        var giveUpAt = DateTime.UtcNow + options.WaitForBroker;
        var delay = TimeSpan.FromSeconds(1);
        for (var attempt = 1; ; attempt++)
        {
            var failure = await TrySignInAsync(cancellationToken);
            if (failure is null)
            {
                return;
            }

            if (!failure.Unreachable || DateTime.UtcNow + delay > giveUpAt)
            {
                throw failure.Error;
            }

            logger.LogWarning("Attempt {Attempt}: {Problem} Retrying in {Delay} s (Bus:RabbitMQ:WaitForBroker allows until {GiveUpAt:u}).",
                attempt, failure.Error.Message, delay.TotalSeconds, giveUpAt);
            await Task.Delay(delay, cancellationToken);
            delay = TimeSpan.FromSeconds(Math.Min(30, delay.TotalSeconds * 2));
        }
    }

    private async Task<SignInFailure?> TrySignInAsync(CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory
        {
            HostName = options.Host,
            Port = options.Port,
            VirtualHost = options.VirtualHost,
            UserName = options.Username,
            Password = options.Password,
            RequestedConnectionTimeout = options.ConnectTimeout,
            HandshakeContinuationTimeout = options.ConnectTimeout,
            AutomaticRecoveryEnabled = false,
            TopologyRecoveryEnabled = false,
        };

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        try
        {
            await using var connection = await factory.CreateConnectionAsync($"federation startup check ({options.Username})", timeout.Token);

            // The client can hand back a connection that the broker is already closing (e.g. for an
            // unknown virtual host); opening a channel surfaces the broker's reason.
            await using var channel = await connection.CreateChannelAsync(cancellationToken: timeout.Token);
            await channel.CloseAsync(timeout.Token);
            await connection.CloseAsync(timeout.Token);
        }
        catch (Exception error) when (!cancellationToken.IsCancellationRequested)
        {
            var explained = Explain(error, options, out var unreachable);
            return new SignInFailure(explained, unreachable);
        }

        return null;
    }

    private sealed record SignInFailure(InvalidOperationException Error, bool Unreachable);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Turns what the client library threw into an error that says which setting to fix.</summary>
    internal static InvalidOperationException Explain(Exception error, RabbitMqBusOptions options, out bool unreachable)
    {
        unreachable = false;
        var broker = $"RabbitMQ at {options.Host}:{options.Port}";
        var causes = Causes(error).ToList();

        if (causes.OfType<AuthenticationFailureException>().Any() || ReplyCode(causes) == Constants.AccessRefused)
        {
            return new InvalidOperationException(
                $"{broker} refused to sign in user '{options.Username}': check {Section}:Username and {Section}:Password " +
                "(the local node's users and passwords are in ops/rabbitmq/definitions.md).",
                error);
        }

        if (ReplyCode(causes) == Constants.NotAllowed)
        {
            var reason = causes.Select(ReplyText).FirstOrDefault(text => text is not null) ?? "";
            var what = reason.Contains("not found", StringComparison.OrdinalIgnoreCase)
                ? $"has no virtual host '{options.VirtualHost}'"
                : $"does not let user '{options.Username}' into virtual host '{options.VirtualHost}'";
            return new InvalidOperationException(
                $"{broker} {what} ({reason}): check {Section}:VirtualHost (Federation's is 'federation') and that " +
                "ops/rabbitmq/up.sh has granted the user permissions there.",
                error);
        }

        unreachable = true;
        var detail = causes.OfType<SocketException>().Select(socket => socket.Message).FirstOrDefault()
            ?? (causes.OfType<OperationCanceledException>().Any() || causes.OfType<TimeoutException>().Any()
                ? $"no answer within {options.ConnectTimeout.TotalSeconds:0.#} s"
                : causes[^1].Message);
        return new InvalidOperationException(
            $"Cannot reach {broker} ({detail}): check {Section}:Host and {Section}:Port, and that the broker runs " +
            "(for the local node: ops/rabbitmq/up.sh).",
            error);
    }

    private static IEnumerable<Exception> Causes(Exception error)
    {
        for (Exception? current = error; current is not null; current = current.InnerException)
        {
            yield return current;
            if (current is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions.SelectMany(Causes))
                {
                    yield return inner;
                }

                yield break;
            }
        }
    }

    private static ushort? ReplyCode(IEnumerable<Exception> causes) =>
        causes.Select(Shutdown).FirstOrDefault(reason => reason is not null)?.ReplyCode;

    private static string? ReplyText(Exception error) => Shutdown(error)?.ReplyText;

    private static ShutdownEventArgs? Shutdown(Exception error) => error switch
    {
        OperationInterruptedException interrupted => interrupted.ShutdownReason,
        _ => null,
    };
}
