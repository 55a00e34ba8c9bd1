using MassTransit;
using Microsoft.Extensions.Hosting;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Federation.Messaging;

/// <summary>
/// Wraps MassTransit's hosted service to explain the one startup failure the connection check
/// cannot see: the broker accepted the user but refuses it an endpoint (403 ACCESS_REFUSED while
/// declaring or consuming a queue), typically a gateway signed in as another gateway's user.
/// MassTransit itself would retry that for ever; with <see cref="MassTransitHostOptions.StartTimeout"/>
/// it gives up, and this turns its transport error into one that names the settings to check.
/// </summary>
internal sealed class RabbitMqBusStartup(MassTransitHostedService bus, RabbitMqBusOptions options) : IHostedService, IAsyncDisposable
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await bus.StartAsync(cancellationToken);
        }
        catch (Exception error) when (!cancellationToken.IsCancellationRequested && Refusal(error) is { } refusal)
        {
            throw new InvalidOperationException(
                $"RabbitMQ refused broker user '{options.Username}' an endpoint this host needs ({refusal}). Each host must sign " +
                $"in as its own broker user: check {RabbitMqBusOptions.Section}:Username (a gateway's is its Gateway:Id) and that " +
                "the user's permissions cover this host's endpoints (ops/rabbitmq/up.sh, ops/rabbitmq/definitions.md).",
                error);
        }
        catch (RabbitMqConnectionException error) when (!cancellationToken.IsCancellationRequested && ClosedWhileDeclaring(error))
        {
            // RabbitMQ.Client 7.1.2 can lose the broker's reason: when the broker closes the channel (403 and the like)
            // while a queue is being declared, the client's own cleanup throws ObjectDisposedException instead. The
            // broker only closes a channel during declarations for a refusal or a queue with other arguments.
            throw new InvalidOperationException(
                $"RabbitMQ closed the channel while this host declared its endpoints as broker user '{options.Username}'. Most " +
                $"often the broker refused that user an endpoint (ACCESS_REFUSED): check {RabbitMqBusOptions.Section}:Username " +
                "(a gateway's is its Gateway:Id) and that the user's permissions cover this host's endpoints (ops/rabbitmq/up.sh, " +
                "ops/rabbitmq/definitions.md); the broker's log names the reason.",
                error);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => bus.StopAsync(cancellationToken);

    public ValueTask DisposeAsync() => bus.DisposeAsync();

    private static bool ClosedWhileDeclaring(Exception error)
    {
        for (Exception? current = error; current is not null; current = current.InnerException)
        {
            if (current is ObjectDisposedException or AlreadyClosedException)
            {
                return true;
            }
        }

        return false;
    }

    private static string? Refusal(Exception error)
    {
        for (Exception? current = error; current is not null; current = current.InnerException)
        {
            if (current is OperationInterruptedException { ShutdownReason: { ReplyCode: Constants.AccessRefused } reason })
            {
                return reason.ReplyText;
            }
        }

        return null;
    }
}
