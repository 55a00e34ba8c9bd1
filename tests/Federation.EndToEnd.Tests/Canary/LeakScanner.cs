using System.Text;
using System.Text.Json;

namespace Federation.EndToEnd.Tests.Canary;

/// <summary>
/// Looks for secrets in captured messages, in every encoding a leak could plausibly take on our wire:
/// <list type="bullet">
/// <item>in the raw body and header bytes: the secret itself, its hex (lower and upper case) and its base64 at each of
/// the three byte alignments (the part of the secret that base64-encodes the same whatever precedes it), so a secret
/// inside a longer base64 blob is found too;</item>
/// <item>inside the body's JSON: every string value unescaped (System.Text.Json writes '+' as \u002B), every string
/// value that is base64 decoded (payloads travel that way), and every string that is itself JSON (the signed
/// manifest and report), recursively — and in each of those the same encodings again.</item>
/// </list>
/// </summary>
public static class LeakScanner
{
    /// <summary>Every (message, secret) pair where the secret shows in the message, with the encoding it was found in.</summary>
    public static IReadOnlyList<string> Find(IEnumerable<CapturedMessage> messages, IReadOnlyList<Secret> secrets)
    {
        var needles = secrets.Select(secret => (Secret: secret, Forms: Forms(secret.Bytes))).ToList();
        var findings = new List<string>();
        foreach (var message in messages)
        {
            var haystacks = Haystacks(message).ToList();
            foreach (var (secret, forms) in needles)
            {
                var hit = forms.FirstOrDefault(form => haystacks.Any(haystack => haystack.Bytes.AsSpan().IndexOf(form.Bytes) >= 0));
                if (hit.Bytes is not null)
                {
                    var where = haystacks.First(haystack => haystack.Bytes.AsSpan().IndexOf(hit.Bytes) >= 0).Where;
                    findings.Add($"{secret} found as {hit.Encoding} in {where} of a {message.Destination} message");
                }
            }
        }

        return findings;
    }

    /// <summary>The encodings of one secret that are searched.</summary>
    private static List<(string Encoding, byte[] Bytes)> Forms(byte[] secret)
    {
        var forms = new List<(string, byte[])>
        {
            ("raw bytes", secret),
            ("hex", Encoding.ASCII.GetBytes(Convert.ToHexStringLower(secret))),
            ("HEX", Encoding.ASCII.GetBytes(Convert.ToHexString(secret))),
        };
        for (var skip = 0; skip < 3; skip++)
        {
            // Base64 encodes 3-byte groups; from the first group boundary on, the secret's encoding is fixed.
            var aligned = secret.Length - skip;
            if (aligned >= 6)
            {
                forms.Add(($"base64 (offset {skip})", Encoding.ASCII.GetBytes(Convert.ToBase64String(secret, skip, aligned - aligned % 3))));
            }
        }

        return forms;
    }

    private static IEnumerable<(string Where, byte[] Bytes)> Haystacks(CapturedMessage message)
    {
        yield return ("the body", message.Body);
        foreach (var (name, value) in message.Headers)
        {
            yield return ($"header {name}", [.. Encoding.UTF8.GetBytes(name + "="), .. value]);
        }

        foreach (var inner in JsonStrings(message.Body, "body"))
        {
            yield return inner;
        }
    }

    /// <summary>Every string value of a JSON document, unescaped; base64 ones also decoded; JSON ones also walked.</summary>
    private static IEnumerable<(string Where, byte[] Bytes)> JsonStrings(byte[] json, string where)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            yield break;
        }

        using (document)
        {
            foreach (var (path, text) in Strings(document.RootElement, where))
            {
                var bytes = Encoding.UTF8.GetBytes(text);
                yield return ($"JSON string {path}", bytes);
                var decoded = new byte[text.Length];
                if (text.Length >= 4 && Convert.TryFromBase64String(text, decoded, out var written))
                {
                    yield return ($"base64-decoded JSON string {path}", decoded[..written]);
                }

                if (text.TrimStart().StartsWith('{') || text.TrimStart().StartsWith('['))
                {
                    foreach (var nested in JsonStrings(bytes, path))
                    {
                        yield return nested;
                    }
                }
            }
        }
    }

    private static IEnumerable<(string Path, string Text)> Strings(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                yield return (path, element.GetString()!);
                break;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    yield return ($"{path}.{property.Name} (name)", property.Name);
                    foreach (var inner in Strings(property.Value, $"{path}.{property.Name}"))
                    {
                        yield return inner;
                    }
                }

                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    foreach (var inner in Strings(item, $"{path}[{index++}]"))
                    {
                        yield return inner;
                    }
                }

                break;
        }
    }
}
