using System.CommandLine;
using System.CommandLine.Parsing;

namespace Federation.Cli;

/// <summary>
/// <c>--aggregator URL</c> and <c>--token TOKEN</c>, shared by every command that talks to a running aggregator. Both
/// fall back to FEDERATION_AGGREGATOR and FEDERATION_TOKEN, and both are checked while parsing: a command with no
/// token or a malformed address is a usage error before any request is made.
/// </summary>
public sealed class ApiOptions
{
    /// <summary>Where fedctl looks when neither <c>--aggregator</c> nor FEDERATION_AGGREGATOR is given.</summary>
    public const string DefaultAddress = "http://127.0.0.1:5080";

    private const string AddressVariable = "FEDERATION_AGGREGATOR";
    private const string TokenVariable = "FEDERATION_TOKEN";
    private readonly FedctlContext context;

    /// <summary>Options that read the environment through <paramref name="context"/> and connect with it.</summary>
    public ApiOptions(FedctlContext context)
    {
        this.context = context;
        Aggregator.Validators.Add(result =>
        {
            if (result.Tokens is [var token] && AddressProblem(token.Value) is { } problem)
            {
                result.AddError(problem);
            }
        });
    }

    /// <summary><c>--aggregator URL</c>.</summary>
    public Option<string?> Aggregator { get; } = new("--aggregator")
    {
        HelpName = "URL",
        Description = $"the aggregator's API (else {AddressVariable}, else {DefaultAddress})",
    };

    /// <summary><c>--token TOKEN</c>.</summary>
    public Option<string?> Token { get; } = new("--token")
    {
        HelpName = "TOKEN",
        Description = $"API token (else {TokenVariable}); reading needs an auditor or operator token, changing needs an operator token",
    };

    /// <summary>
    /// Adds both options to <paramref name="command"/> and requires a token and a well-formed address, unless
    /// <paramref name="offline"/> is given (e.g. <c>--bundle</c>), with which the command never calls the API.
    /// </summary>
    public void AddTo(Command command, Option? offline = null)
    {
        command.Options.Add(Aggregator);
        command.Options.Add(Token);
        command.Validators.Add(result =>
        {
            if (offline is not null && result.GetResult(offline) is not null)
            {
                return;
            }

            if (result.GetResult(Token) is null && string.IsNullOrEmpty(context.Variable(TokenVariable)))
            {
                result.AddError($"No API token: pass --token or set {TokenVariable}.");
            }

            if (result.GetResult(Aggregator) is null && AddressProblem(context.Variable(AddressVariable) ?? DefaultAddress) is { } problem)
            {
                result.AddError($"{problem} ({AddressVariable})");
            }
        });
    }

    /// <summary>The client for the aggregator and token the command line (or the environment) names.</summary>
    public AggregatorClient Client(ParseResult parsed)
    {
        var address = parsed.GetValue(Aggregator) ?? context.Variable(AddressVariable) ?? DefaultAddress;
        var token = parsed.GetValue(Token) ?? context.Variable(TokenVariable)
            ?? throw new CommandLineException($"No API token: pass --token or set {TokenVariable}.");
        return context.Connect(new Uri(address, UriKind.Absolute), token);
    }

    private static string? AddressProblem(string address) =>
        Uri.TryCreate(address, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? null
            : $"--aggregator '{address}' is not an absolute URL such as {DefaultAddress}.";
}
