using System.Globalization;
using Federation.Contracts.Api;
using Federation.Contracts.Events;
using Federation.Policies;
using Spectre.Console.Rendering;
using Spectre.Console;

namespace Federation.Cli.Gateways;

/// <summary>
/// <c>fedctl gateways ls|enrol|rotate|revoke|allow-policy</c>: the operator manages which keys may
/// sign for which factory. Every change is an event in the aggregator's history naming the token's
/// credential; this command only sends requests and shows the recorded event.
/// </summary>
public static class GatewaysCommand
{
    private const string Usage =
        "usage: fedctl gateways ls | enrol --id ID --public-key B64 (--policy SHA256 | --policy-file FILE)... | rotate --id ID --public-key B64 [--overlap 24h]"
        + " | revoke --id ID --key-id KEYID --reason TEXT | allow-policy --id ID (--policy SHA256 | --policy-file FILE)... [--replace]";

    /// <summary>Runs a gateways subcommand at <paramref name="now"/> (for the status column); returns the exit code.</summary>
    public static async Task<int> RunAsync(CommandArguments arguments, AggregatorClient client, IAnsiConsole console, DateTimeOffset now)
    {
        switch (arguments.Positional(0))
        {
            case "ls":
                console.Write(Table(await client.GetAsync<List<GatewayKey>>("/api/gateways"), now));
                return 0;
            case "enrol" or "enroll":
                var enrolled = await client.PostAsync<GatewayKeyEnrolled>("/api/gateways", new
                {
                    id = Required(arguments, "id"),
                    publicKey = Required(arguments, "public-key"),
                    allowedPolicies = Policies(arguments),
                });
                console.MarkupLineInterpolated($"Gateway [bold]{enrolled.GatewayId}[/] enrolled with key {enrolled.KeyId} by {enrolled.EnrolledBy} at {enrolled.EnrolledAt:u}.");
                console.MarkupLineInterpolated($"  allowed policies: {string.Join(", ", enrolled.AllowedPolicies)}");
                return 0;
            case "rotate":
                var id = Required(arguments, "id");
                var rotated = await client.PostAsync<GatewayKeyRotated>($"/api/gateways/{Uri.EscapeDataString(id)}/rotate", new
                {
                    publicKey = Required(arguments, "public-key"),
                    overlapHours = arguments.OptionalText("overlap") is { } overlap ? Hours(overlap) : (double?)null,
                });
                console.MarkupLineInterpolated($"Gateway [bold]{rotated.GatewayId}[/] now signs with key {rotated.NewKeyId} (rotated by {rotated.RotatedBy}).");
                console.MarkupLineInterpolated($"  old key {rotated.OldKeyId} stays valid until {rotated.OldKeyValidUntil:u}; install the new key file on the gateway before then.");
                return 0;
            case "revoke":
                var gatewayId = Required(arguments, "id");
                var keyId = await FullKeyIdAsync(client, gatewayId, Required(arguments, "key-id"));
                var revoked = await client.PostAsync<GatewayKeyRevoked>(
                    $"/api/gateways/{Uri.EscapeDataString(gatewayId)}/keys/{keyId}/revoke", new { reason = Required(arguments, "reason") });
                console.MarkupLineInterpolated($"Key {revoked.KeyId} of gateway [bold]{revoked.GatewayId}[/] revoked at {revoked.RevokedAt:u} by {revoked.RevokedBy}: {revoked.Reason}");
                return 0;
            case "allow-policy":
                var gateway = Required(arguments, "id");
                var path = $"/api/gateways/{Uri.EscapeDataString(gateway)}/policies";
                var policies = Policies(arguments);
                if (!arguments.Flag("replace"))
                {
                    // Adding is the safe default: gateways still running the old policy keep working while they move to the new one.
                    policies = [.. (await client.GetAsync<List<string>>(path)).Concat(policies).Distinct(StringComparer.Ordinal)];
                }

                var allowed = await client.PutAsync<GatewayPoliciesAllowed>(path, new { allowedPolicies = policies });
                console.MarkupLineInterpolated($"Gateway [bold]{allowed.GatewayId}[/] may now release under (changed by {allowed.ChangedBy}):");
                foreach (var policy in allowed.AllowedPolicies)
                {
                    console.MarkupLineInterpolated($"  {policy}");
                }

                return 0;
            default:
                throw new CommandLineException(Usage);
        }
    }

    /// <summary>What a key may do at <paramref name="now"/>, in the terms the aggregator's checks use.</summary>
    public static string Status(GatewayKey key, DateTimeOffset now) => key switch
    {
        { RevokedAt: { } revokedAt } when revokedAt <= now => "revoked",
        { EnrolledAt: var enrolledAt } when enrolledAt > now => "not yet valid",
        { ValidUntil: { } validUntil } when validUntil < now => "retired",
        { ValidUntil: not null } => "valid (overlap)",
        _ => "current",
    };

    /// <summary>Parses an overlap such as <c>24h</c>, <c>90m</c>, <c>2d</c>, <c>0</c> (a bare number is hours) into hours.</summary>
    /// <exception cref="CommandLineException">Not a non-negative duration in those units.</exception>
    public static double Hours(string text)
    {
        var trimmed = text.Trim();
        var (number, unit) = trimmed.Length > 0 && char.IsLetter(trimmed[^1]) ? (trimmed[..^1], char.ToLowerInvariant(trimmed[^1])) : (trimmed, 'h');
        var perUnit = unit switch { 's' => 1.0 / 3600, 'm' => 1.0 / 60, 'h' => 1.0, 'd' => 24.0, _ => double.NaN };
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0 && double.IsFinite(value) && !double.IsNaN(perUnit)
            ? value * perUnit
            : throw new CommandLineException($"--overlap takes a duration such as 24h, 90m or 2d, not '{text}'.");
    }

    private static Table Table(IEnumerable<GatewayKey> keys, DateTimeOffset now)
    {
        var table = new Table().AddColumns("Gateway", "Key id", "Enrolled", "Valid until", "Revoked", $"Status at {now:u}");
        foreach (var key in keys.OrderBy(key => key.Id, StringComparer.Ordinal).ThenBy(key => key.EnrolledAt))
        {
            // Gateway ids came from whoever enrolled them: show them as text, never as markup.
            table.AddRow(Cells(
                key.Id, key.KeyId[..Math.Min(12, key.KeyId.Length)], key.EnrolledAt.ToString("u", CultureInfo.InvariantCulture),
                key.ValidUntil?.ToString("u", CultureInfo.InvariantCulture) ?? "-", key.RevokedAt?.ToString("u", CultureInfo.InvariantCulture) ?? "-",
                Status(key, now)));
        }

        return table;
    }

    /// <summary>
    /// <c>ls</c> shows 12-character key ids; accept any unique prefix of one of this gateway's keys
    /// so the operator can copy from it. The request (and so the event) always names the full id.
    /// </summary>
    private static async Task<string> FullKeyIdAsync(AggregatorClient client, string gatewayId, string keyId)
    {
        if (keyId.Length == 64)
        {
            return keyId;
        }

        var matches = (await client.GetAsync<List<GatewayKey>>("/api/gateways"))
            .Where(key => key.Id == gatewayId && key.KeyId.StartsWith(keyId, StringComparison.OrdinalIgnoreCase)).ToList();
        return matches switch
        {
            [var only] when keyId.Length >= 8 => only.KeyId,
            [_] => throw new CommandLineException($"--key-id '{keyId}' is too short; give at least 8 hex digits (fedctl gateways ls shows 12)."),
            [] => throw new CommandFailedException($"Gateway '{gatewayId}' has no key whose id starts with '{keyId}' (see fedctl gateways ls)."),
            _ => throw new CommandLineException($"--key-id '{keyId}' matches {matches.Count} keys of gateway '{gatewayId}'; give more digits."),
        };
    }

    /// <summary>The <c>--policy</c> hashes and the SHA-256 of each <c>--policy-file</c>'s exact bytes.</summary>
    private static List<string> Policies(CommandArguments arguments)
    {
        var hashes = new List<string>();
        foreach (var hash in arguments.All("policy"))
        {
            hashes.Add(PolicyHash.IsWellFormed(hash.ToLowerInvariant())
                ? hash.ToLowerInvariant()
                : throw new CommandLineException($"--policy '{hash}' is not a SHA-256 (64 hex digits); use --policy-file FILE to hash a policy file."));
        }

        foreach (var file in arguments.All("policy-file"))
        {
            try
            {
                // The exact bytes, as the gateway hashes them: no parsing, no line-ending changes.
                hashes.Add(PolicyHash.Compute(File.ReadAllBytes(file)));
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                throw new CommandFailedException($"Cannot read policy file {file}: {error.Message}");
            }
        }

        return hashes.Count > 0
            ? [.. hashes.Distinct(StringComparer.Ordinal)]
            : throw new CommandLineException("Name at least one allowed policy: --policy SHA256 or --policy-file FILE (repeatable).");
    }

    private static string Required(CommandArguments arguments, string name) =>
        arguments.OptionalText(name) is { Length: > 0 } value ? value : throw new CommandLineException($"Missing --{name} (see fedctl help).");

    private static IRenderable[] Cells(params string[] values) => [.. values.Select(value => new Text(value))];
}
