using System.Globalization;
using System.Text.Json;
using Federation.Audit.Registry;
using Federation.Contracts.Api;

namespace Federation.Audit.Bundles;

/// <summary>
/// (3) gateways.json is no longer exported: the key events are the one source. An older bundle
/// that still ships it must say exactly what the key events say.
/// </summary>
internal static class GatewaysFileCheck
{
    public static void Run(string directory, GatewayRegistry registry, Findings findings)
    {
        var path = Path.Combine(directory, AuditBundle.GatewaysFile);
        if (!File.Exists(path))
        {
            return;
        }

        List<GatewayKey>? listed;
        try
        {
            listed = JsonSerializer.Deserialize<List<GatewayKey>>(File.ReadAllBytes(path), ApiJson.Options);
        }
        catch (JsonException error)
        {
            findings.Add(3, JsonProblem.Where(AuditBundle.GatewaysFile, "", error), $"is not a JSON array of keys: {JsonProblem.Describe(error)}");
            return;
        }

        var expected = registry.Gateways.Values.SelectMany(gateway => gateway.ListedKeys()).ToList();
        listed ??= [];
        for (var index = 0; index < Math.Max(listed.Count, expected.Count); index++)
        {
            var where = $"{AuditBundle.GatewaysFile} entry {index + 1}";
            if (index >= listed.Count)
            {
                findings.Add(3, AuditBundle.GatewaysFile, $"lacks key {expected[index].KeyId} of gateway '{expected[index].Id}', which the key events enrol.");
            }
            else if (index >= expected.Count)
            {
                findings.Add(3, where, $"lists key {listed[index].KeyId} of gateway '{listed[index].Id}', which no key event enrols.");
            }
            else if (!SameKey(listed[index], expected[index]))
            {
                findings.Add(3, where, $"is {ShowKey(listed[index])}, but the key events say {ShowKey(expected[index])}: the events are the source of truth.");
            }
        }
    }

    private static bool SameKey(GatewayKey left, GatewayKey right) =>
        left.Id == right.Id && left.PublicKey == right.PublicKey && left.KeyId == right.KeyId && left.EnrolledAt == right.EnrolledAt
        && left.ValidUntil == right.ValidUntil && left.RevokedAt == right.RevokedAt;

    private static string ShowKey(GatewayKey key) =>
        $"gateway '{key.Id}' key {key.KeyId} ({key.PublicKey}) enrolled {key.EnrolledAt:O}, valid until {key.ValidUntil?.ToString("O", CultureInfo.InvariantCulture) ?? "-"}, revoked {key.RevokedAt?.ToString("O", CultureInfo.InvariantCulture) ?? "-"}";
}
