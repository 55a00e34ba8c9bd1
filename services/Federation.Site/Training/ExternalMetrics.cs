using System.Globalization;
using System.Text.Json;
using Federation.Contracts.Signing;

namespace Federation.Site.Training;

/// <summary>
/// Reads and checks the metrics file an external trainer's evaluate mode writes (docs/PRIVACY.md, section 6):
/// <c>{"metrics":[{"name":"accuracy","slice":null,"value":0.81,"samples":120}, …]}</c>. Only what the gateway's own
/// evaluation reports is taken — accuracy and loss overall, accuracy per class — each value in its range and each count
/// within the entries the program was given, so the program cannot make up slices or samples. A condition slice
/// (<c>lighting=dim</c>) must be a condition some given entry carries, over at most the entries that carry it.
/// </summary>
public static class ExternalMetrics
{
    /// <summary>The metrics in <paramref name="json"/>, or the first problem with them.</summary>
    /// <param name="json">The file's bytes.</param>
    /// <param name="entries">How many held-out entries the program was given.</param>
    /// <param name="classes">How many classes there are (slices <c>class=0</c> … <c>class=classes-1</c>).</param>
    /// <param name="problem">When null is returned: what is wrong, for the decision record.</param>
    /// <param name="conditions">Each condition the given entries carry, with how many carry it; none when null.</param>
    /// <returns>The metrics, or null.</returns>
    public static IReadOnlyList<MetricValue>? Read(
        ReadOnlySpan<byte> json, int entries, int classes, out string? problem, IReadOnlyDictionary<string, int>? conditions = null)
    {
        conditions ??= new Dictionary<string, int>();
        problem = null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray());
        }
        catch (JsonException error)
        {
            problem = $"wrote metrics that are not JSON: {error.Message}";
            return null;
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("metrics", out var list) || list.ValueKind != JsonValueKind.Array)
            {
                problem = "wrote metrics without a \"metrics\" array";
                return null;
            }

            var metrics = new List<MetricValue>();
            var seen = new HashSet<(string, string?)>();
            int index = 0;
            foreach (var item in list.EnumerateArray())
            {
                if (Metric(item, entries, classes, conditions) is not { } metric)
                {
                    problem = $"wrote metric {index} that is not one the gateway reports ({Describe(item)}): a name accuracy or loss, a slice null, class=0…{classes - 1} or a condition of the entries given (accuracy only), a finite value (accuracy in [0, 1], loss ≥ 0) and samples from 1 to the entries given ({entries}, or those with the condition)";
                    return null;
                }

                if (!seen.Add((metric.Name, metric.Slice)))
                {
                    problem = $"wrote metric {metric.Name} {metric.Slice ?? "overall"} twice";
                    return null;
                }

                metrics.Add(metric);
                index++;
            }

            if (!seen.Contains(("accuracy", null)))
            {
                problem = "wrote no overall accuracy";
                return null;
            }

            return metrics;
        }
    }

    private static MetricValue? Metric(JsonElement item, int entries, int classes, IReadOnlyDictionary<string, int> conditions)
    {
        if (item.ValueKind != JsonValueKind.Object
            || !item.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String
            || !item.TryGetProperty("value", out var value) || !value.TryGetDouble(out double number) || !double.IsFinite(number)
            || !item.TryGetProperty("samples", out var samples) || !samples.TryGetInt64(out long count) || count < 1 || count > entries)
        {
            return null;
        }

        string? slice = null;
        if (item.TryGetProperty("slice", out var sliceElement) && sliceElement.ValueKind != JsonValueKind.Null)
        {
            if (sliceElement.ValueKind != JsonValueKind.String)
            {
                return null;
            }

            slice = sliceElement.GetString()!;
            if (!IsClassSlice(slice, classes) && !(conditions.TryGetValue(slice, out int carrying) && count <= carrying))
            {
                return null;
            }
        }

        return name.GetString() switch
        {
            "accuracy" when number is >= 0 and <= 1 => new MetricValue("accuracy", slice, number, count),
            "loss" when slice is null && number >= 0 => new MetricValue("loss", null, number, count),
            _ => null,
        };
    }

    private static bool IsClassSlice(string slice, int classes) =>
        slice.StartsWith("class=", StringComparison.Ordinal)
        && int.TryParse(slice.AsSpan("class=".Length), NumberStyles.None, CultureInfo.InvariantCulture, out int label)
        && label < classes
        && slice == $"class={label.ToString(CultureInfo.InvariantCulture)}";

    private static string Describe(JsonElement item)
    {
        var text = item.GetRawText();
        return text.Length <= 120 ? text : text[..120] + "…";
    }
}
