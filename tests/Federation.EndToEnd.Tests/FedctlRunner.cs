using System.Net;
using Federation.Cli;
using Federation.Cli.Commands;
using Spectre.Console;

namespace Federation.EndToEnd.Tests;

/// <summary>What one fedctl run returned and wrote.</summary>
/// <param name="Code">The exit code.</param>
/// <param name="Output">Standard output: results and help.</param>
/// <param name="Error">Standard error: usage errors and progress.</param>
public sealed record FedctlResult(int Code, string Output, string Error);

/// <summary>
/// Runs fedctl in-process exactly as a command line is typed, parser included, with standard output and standard error
/// captured apart. With <see cref="Aggregator"/> the API calls reach a test host; without it every request is refused
/// and counted, so a test can show that nothing was sent.
/// </summary>
public sealed class FedctlRunner
{
    private readonly RefusingHandler refusing = new();

    /// <summary>The test host's client for a token; null: no aggregator.</summary>
    public Func<string, HttpClient>? Aggregator { get; init; }

    /// <summary>The environment fedctl sees (FEDERATION_AGGREGATOR, FEDERATION_TOKEN); empty unless set.</summary>
    public Dictionary<string, string> Environment { get; init; } = [];

    /// <summary>The time commands judge status and expiry at; null: the clock's, when the command runs.</summary>
    public DateTimeOffset? Now { get; init; }

    /// <summary>The aggregator addresses fedctl connected to, in order.</summary>
    public List<Uri> Connections { get; } = [];

    /// <summary>Requests sent while no <see cref="Aggregator"/> was set.</summary>
    public int RefusedRequests => refusing.Requests;

    /// <summary>Runs <c>fedctl</c> with a command line split at spaces.</summary>
    public Task<FedctlResult> RunAsync(string commandLine) => RunAsync(commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries));

    /// <summary>Runs <c>fedctl</c> with these arguments.</summary>
    public async Task<FedctlResult> RunAsync(params string[] arguments)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 400;
        var context = new FedctlContext
        {
            Console = console,
            Output = output,
            Error = error,
            Variable = name => Environment.GetValueOrDefault(name),
            Now = () => Now ?? DateTimeOffset.UtcNow,
            Connect = (address, token) =>
            {
                Connections.Add(address);
                return new AggregatorClient(Aggregator?.Invoke(token) ?? new HttpClient(refusing) { BaseAddress = address });
            },
        };
        var code = await Fedctl.RunAsync(arguments, context);
        return new FedctlResult(code, output.ToString(), error.ToString());
    }

    private sealed class RefusingHandler : HttpMessageHandler
    {
        private int requests;

        public int Requests => requests;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref requests);
            throw new HttpRequestException("this test has no aggregator", null, HttpStatusCode.ServiceUnavailable);
        }
    }
}
