using System.CommandLine;
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
    /// <summary>Builds <c>fedctl gateways</c> and its subcommands; <see cref="FedctlContext.Now"/> dates the status column.</summary>
    public static Command Create(FedctlContext context, ApiOptions api)
    {
        var console = context.Console;
        var ls = new Command("ls", "every key of every gateway: enrolled, valid until, revoked, status now");
        api.AddTo(ls);
        ls.SetAction(async parsed =>
        {
            console.Write(Table(await api.Client(parsed).GetAsync<List<GatewayKey>>("/api/gateways"), context.Now()));
            return 0;
        });

        return new Command("gateways", "the operator manages which keys may sign for which factory")
        {
            ls, Enrol(context, api), Rotate(context, api), Revoke(context, api), AllowPolicy(context, api),
        };
    }

    private static Command Enrol(FedctlContext context, ApiOptions api)
    {
        var id = Id();
        var publicKey = PublicKey();
        var (policy, policyFile) = PolicyOptions();
        var enrol = new Command("enrol", "enrol a new gateway with the key from `keys init` and the policies it may release under") { id, publicKey, policy, policyFile };
        enrol.Aliases.Add("enroll");
        RequirePolicies(enrol, policy, policyFile);
        api.AddTo(enrol);
        enrol.SetAction(async parsed =>
        {
            var enrolled = await api.Client(parsed).PostAsync<GatewayKeyEnrolled>("/api/gateways", new
            {
                id = parsed.GetRequiredValue(id),
                publicKey = parsed.GetRequiredValue(publicKey),
                allowedPolicies = Policies(parsed, policy, policyFile),
            });
            context.Console.MarkupLineInterpolated($"Gateway [bold]{enrolled.GatewayId}[/] enrolled with key {enrolled.KeyId} by {enrolled.EnrolledBy} at {enrolled.EnrolledAt:u}.");
            context.Console.MarkupLineInterpolated($"  allowed policies: {string.Join(", ", enrolled.AllowedPolicies)}");
            return 0;
        });
        return enrol;
    }

    private static Command Rotate(FedctlContext context, ApiOptions api)
    {
        var id = Id();
        var publicKey = PublicKey();
        var overlap = new Option<double?>("--overlap")
        {
            HelpName = "DURATION",
            Description = "how long the old key stays valid (s, m, h, d; at most 30d; default: 24h)",
            CustomParser = result =>
            {
                try
                {
                    return Hours(result.Tokens[0].Value);
                }
                catch (CommandLineException error)
                {
                    result.AddError(error.Message);
                    return null;
                }
            },
        };
        var rotate = new Command("rotate", "replace the gateway's key; the old one stays valid for the overlap") { id, publicKey, overlap };
        api.AddTo(rotate);
        rotate.SetAction(async parsed =>
        {
            var rotated = await api.Client(parsed).PostAsync<GatewayKeyRotated>($"/api/gateways/{Uri.EscapeDataString(parsed.GetRequiredValue(id))}/rotate", new
            {
                publicKey = parsed.GetRequiredValue(publicKey),
                overlapHours = parsed.GetValue(overlap),
            });
            context.Console.MarkupLineInterpolated($"Gateway [bold]{rotated.GatewayId}[/] now signs with key {rotated.NewKeyId} (rotated by {rotated.RotatedBy}).");
            context.Console.MarkupLineInterpolated($"  old key {rotated.OldKeyId} stays valid until {rotated.OldKeyValidUntil:u}; install the new key file on the gateway before then.");
            return 0;
        });
        return rotate;
    }

    private static Command Revoke(FedctlContext context, ApiOptions api)
    {
        var id = Id();
        var keyId = new Option<string>("--key-id") { HelpName = "KEYID", Description = "the key to revoke: its full id, or a unique prefix of 8+ hex digits (as gateways ls shows)", Required = true };
        keyId.Validators.Add(result =>
        {
            if (result.Tokens is [var token] && token.Value.Length < 8)
            {
                result.AddError($"--key-id '{token.Value}' is too short; give at least 8 hex digits (fedctl gateways ls shows 12).");
            }
        });
        var reason = new Option<string>("--reason") { HelpName = "TEXT", Description = "why, recorded in the history", Required = true };
        var revoke = new Command("revoke", "refuse everything the key signs from now on") { id, keyId, reason };
        api.AddTo(revoke);
        revoke.SetAction(async parsed =>
        {
            var client = api.Client(parsed);
            var gatewayId = parsed.GetRequiredValue(id);
            var fullKeyId = await FullKeyIdAsync(client, gatewayId, parsed.GetRequiredValue(keyId));
            var revoked = await client.PostAsync<GatewayKeyRevoked>(
                $"/api/gateways/{Uri.EscapeDataString(gatewayId)}/keys/{fullKeyId}/revoke", new { reason = parsed.GetRequiredValue(reason) });
            context.Console.MarkupLineInterpolated($"Key {revoked.KeyId} of gateway [bold]{revoked.GatewayId}[/] revoked at {revoked.RevokedAt:u} by {revoked.RevokedBy}: {revoked.Reason}");
            return 0;
        });
        return revoke;
    }

    private static Command AllowPolicy(FedctlContext context, ApiOptions api)
    {
        var id = Id();
        var (policy, policyFile) = PolicyOptions();
        var replace = CommonOptions.Flag("--replace", "set exactly these policies (default: add them to the allowed ones)");
        var allowPolicy = new Command("allow-policy", "add allowed policies (with --replace: set exactly these)") { id, policy, policyFile, replace };
        RequirePolicies(allowPolicy, policy, policyFile);
        api.AddTo(allowPolicy);
        allowPolicy.SetAction(async parsed =>
        {
            var client = api.Client(parsed);
            var path = $"/api/gateways/{Uri.EscapeDataString(parsed.GetRequiredValue(id))}/policies";
            var policies = Policies(parsed, policy, policyFile);
            if (!parsed.GetValue(replace))
            {
                // Adding is the safe default: gateways still running the old policy keep working while they move to the new one.
                policies = [.. (await client.GetAsync<List<string>>(path)).Concat(policies).Distinct(StringComparer.Ordinal)];
            }

            var allowed = await client.PutAsync<GatewayPoliciesAllowed>(path, new { allowedPolicies = policies });
            context.Console.MarkupLineInterpolated($"Gateway [bold]{allowed.GatewayId}[/] may now release under (changed by {allowed.ChangedBy}):");
            foreach (var hash in allowed.AllowedPolicies)
            {
                context.Console.MarkupLineInterpolated($"  {hash}");
            }

            return 0;
        });
        return allowPolicy;
    }

    private static Option<string> Id() => new("--id") { HelpName = "ID", Description = "the gateway's id", Required = true };

    private static Option<string> PublicKey() =>
        new("--public-key") { HelpName = "B64", Description = "the gateway's Ed25519 public key, as `fedctl keys init` printed it", Required = true };

    private static (Option<string[]> Policy, Option<string[]> PolicyFile) PolicyOptions()
    {
        var policy = new Option<string[]>("--policy") { HelpName = "SHA256", Description = "an allowed policy's SHA-256 (repeatable)", Arity = ArgumentArity.OneOrMore };
        policy.Validators.Add(result =>
        {
            foreach (var token in result.Tokens.Where(token => !PolicyHash.IsWellFormed(token.Value.ToLowerInvariant())))
            {
                result.AddError($"--policy '{token.Value}' is not a SHA-256 (64 hex digits); use --policy-file FILE to hash a policy file.");
            }
        });
        var policyFile = new Option<string[]>("--policy-file")
        {
            HelpName = "FILE",
            Description = "an allowed policy file (repeatable), hashed over its exact bytes, as the gateway does",
            Arity = ArgumentArity.OneOrMore,
        };
        return (policy, policyFile);
    }

    private static void RequirePolicies(Command command, Option<string[]> policy, Option<string[]> policyFile) =>
        command.Validators.Add(result =>
        {
            if (result.GetResult(policy) is null && result.GetResult(policyFile) is null)
            {
                result.AddError("Name at least one allowed policy: --policy SHA256 or --policy-file FILE (repeatable).");
            }
        });

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
    private static List<string> Policies(ParseResult parsed, Option<string[]> policy, Option<string[]> policyFile)
    {
        var hashes = (parsed.GetValue(policy) ?? []).Select(hash => hash.ToLowerInvariant()).ToList();
        foreach (var file in parsed.GetValue(policyFile) ?? [])
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

        return [.. hashes.Distinct(StringComparer.Ordinal)];
    }

    private static IRenderable[] Cells(params string[] values) => [.. values.Select(value => new Text(value))];
}
