using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Federation.Contracts.Tasks;
using Federation.Learning.Privacy;

namespace Federation.Policies;

/// <summary>
/// The privacy spent by a gateway: every release, with its time, as an immutable value. ε over a sliding window is
/// computed from the releases inside it with the RDP accountant (RDP adds up over releases; the sum is converted to
/// (ε, δ) once, at <see cref="RdpAccountant.DefaultOrders"/> with <see cref="RdpConversion.Improved"/>).
/// </summary>
/// <remarks>
/// <para>
/// A release at time t counts at time <c>now</c> while <c>t &gt; now − window</c>: one window after it left it no
/// longer counts. Releases stamped after <c>now</c> (a clock stepped back) count as well, so a clock change cannot
/// free budget.
/// </para>
/// <para>
/// The ledger is about the site's data, not about one policy: releases made under an earlier policy version still
/// count under the next. Each release belongs to one task, and a task's budget is judged on that task's releases
/// only (<see cref="Assess"/>), so a budget spent on one task never funds, nor is drawn on by, another; the site's
/// exposure across tasks is what <see cref="Spent(DateTimeOffset, TimeSpan, double)"/> composes (docs/PRIVACY.md). It never forgets on its own; <see cref="PruneBefore"/> drops releases the gateway knows can
/// no longer fall in any window it will use. Persist it (<see cref="ToJson"/>) before sending the release it records,
/// so that a crash cannot spend the same budget twice.
/// </para>
/// </remarks>
public sealed class PrivacyLedger
{
    /// <summary>The value of the <c>format</c> field written by <see cref="ToJson"/>.</summary>
    public const string Format = "federation.privacy-ledger.v1";

    private PrivacyLedger(ImmutableArray<PrivacyRelease> releases)
    {
        Releases = releases;
    }

    /// <summary>A ledger with nothing spent.</summary>
    public static PrivacyLedger Empty { get; } = new([]);

    /// <summary>Every recorded release, oldest first.</summary>
    public ImmutableArray<PrivacyRelease> Releases { get; }

    /// <summary>A ledger with <paramref name="release"/> added (this one is unchanged).</summary>
    /// <param name="release">The release to record.</param>
    /// <returns>The new ledger.</returns>
    public PrivacyLedger Record(PrivacyRelease release)
    {
        ArgumentNullException.ThrowIfNull(release);
        int index = Releases.Length;
        while (index > 0 && Releases[index - 1].At > release.At)
        {
            index--;
        }

        return new PrivacyLedger(Releases.Insert(index, release));
    }

    /// <summary>A ledger without the releases made at or before <paramref name="cutoff"/>.</summary>
    /// <param name="cutoff">Releases at this instant or earlier are dropped.</param>
    /// <returns>The new ledger.</returns>
    public PrivacyLedger PruneBefore(DateTimeOffset cutoff) => new([.. Releases.Where(r => r.At > cutoff)]);

    /// <summary>The releases that count at <paramref name="now"/> for a window of length <paramref name="window"/>.</summary>
    /// <param name="now">The current time.</param>
    /// <param name="window">The window length, positive.</param>
    /// <returns>The releases with <c>At &gt; now − window</c>, oldest first.</returns>
    public ImmutableArray<PrivacyRelease> InWindow(DateTimeOffset now, TimeSpan window)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        var start = now - window;
        return [.. Releases.Where(r => r.At > start)];
    }

    /// <summary>The releases of <paramref name="task"/> that count at <paramref name="now"/> for a window of length <paramref name="window"/>.</summary>
    /// <param name="now">The current time.</param>
    /// <param name="window">The window length, positive.</param>
    /// <param name="task">The task.</param>
    /// <returns>The task's releases with <c>At &gt; now − window</c>, oldest first.</returns>
    public ImmutableArray<PrivacyRelease> InWindow(DateTimeOffset now, TimeSpan window, string task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return [.. InWindow(now, window).Where(r => r.Task == task)];
    }

    /// <summary>
    /// The (ε, δ) spent by all releases in the window ending at <paramref name="now"/>, every task together: the site's
    /// exposure if the same records fed every task (RDP composed over all of them, at most the sum of the tasks' ε).
    /// </summary>
    /// <param name="now">The current time.</param>
    /// <param name="window">The window length.</param>
    /// <param name="delta">δ in (0, 1).</param>
    /// <returns>The guarantee; ε is 0 for an empty window.</returns>
    public PrivacySpent Spent(DateTimeOffset now, TimeSpan window, double delta) =>
        Epsilon(Sum(InWindow(now, window).Select(RdpOf), RdpAccountant.DefaultOrders.Count), delta);

    /// <summary>The (ε, δ) spent by the releases of <paramref name="task"/> in the window ending at <paramref name="now"/>.</summary>
    /// <param name="now">The current time.</param>
    /// <param name="window">The window length.</param>
    /// <param name="delta">δ in (0, 1).</param>
    /// <param name="task">The task.</param>
    /// <returns>The guarantee; ε is 0 for an empty window.</returns>
    public PrivacySpent Spent(DateTimeOffset now, TimeSpan window, double delta, string task) =>
        Epsilon(Sum(InWindow(now, window, task).Select(RdpOf), RdpAccountant.DefaultOrders.Count), delta);

    /// <summary>
    /// Whether <paramref name="candidate"/> fits in <paramref name="budget"/> together with the releases of its task
    /// already in the window ending at the candidate's time, and if not, from when it would. Other tasks' releases do
    /// not count: each task has its own budget.
    /// </summary>
    /// <param name="candidate">The release about to be made.</param>
    /// <param name="budget">The policy's budget.</param>
    /// <returns>The assessment.</returns>
    public BudgetAssessment Assess(PrivacyRelease candidate, PrivacyBudget budget)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(budget);
        var inWindow = InWindow(candidate.At, budget.Window, candidate.Task);
        var cache = new Dictionary<(double, double), double[]>();
        var vectors = inWindow.Select(r => RdpOf(r, cache)).ToArray();
        var own = RdpOf(candidate, cache);
        int orders = own.Length;

        // suffix[m] = candidate + releases m..end, so dropping the oldest m releases is one lookup.
        var suffix = new double[vectors.Length + 1][];
        suffix[vectors.Length] = own;
        for (int m = vectors.Length - 1; m >= 0; m--)
        {
            suffix[m] = Sum([suffix[m + 1], vectors[m]], orders);
        }

        var total = Epsilon(suffix[0], budget.Delta);
        if (total.Epsilon <= budget.Epsilon)
        {
            return new BudgetAssessment(true, total.Epsilon, inWindow.Length, null, false);
        }

        for (int m = 0; m < inWindow.Length; m++)
        {
            // Releases sharing a timestamp leave the window together.
            if (m + 1 < inWindow.Length && inWindow[m + 1].At == inWindow[m].At)
            {
                continue;
            }

            if (Epsilon(suffix[m + 1], budget.Delta).Epsilon <= budget.Epsilon)
            {
                return new BudgetAssessment(false, total.Epsilon, inWindow.Length, inWindow[m].At + budget.Window, false);
            }
        }

        return new BudgetAssessment(false, total.Epsilon, inWindow.Length, null, true);
    }

    /// <summary>Serializes the ledger as JSON, so that the gateway can persist it.</summary>
    /// <returns>
    /// <c>{"format":"federation.privacy-ledger.v1","releases":[{"at":"…","noiseMultiplier":…,"samplingRate":…,"steps":…}]}</c>,
    /// times in ISO 8601 with offset, numbers in shortest round-trip form. A release of a task other than
    /// <see cref="TaskIds.Default"/> also has <c>"task":"…"</c>; one without it belongs to task default, so a ledger
    /// from before tasks reads, and writes, exactly as it did.
    /// </returns>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writer.WriteString("format", Format);
            writer.WriteStartArray("releases");
            foreach (var release in Releases)
            {
                writer.WriteStartObject();
                writer.WriteString("at", release.At.ToString("O", CultureInfo.InvariantCulture));
                writer.WriteNumber("noiseMultiplier", release.NoiseMultiplier);
                writer.WriteNumber("samplingRate", release.SamplingRate);
                writer.WriteNumber("steps", release.Steps);
                if (release.Task != TaskIds.Default)
                {
                    writer.WriteString("task", release.Task);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        // Relaxed escaping keeps the '+' of time offsets readable; the text is a data file, never embedded in HTML.
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Reads a ledger written by <see cref="ToJson"/>, strictly.</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The ledger.</returns>
    /// <exception cref="FormatException">The text is not a ledger of this format; the gateway must then send nothing.</exception>
    public static PrivacyLedger FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            ExpectProperties(root, "ledger", "format", "releases");
            if (root.GetProperty("format").GetString() != Format)
            {
                throw new FormatException($"unknown ledger format '{root.GetProperty("format")}'; expected '{Format}'");
            }

            var releases = new List<PrivacyRelease>();
            foreach (var item in root.GetProperty("releases").EnumerateArray())
            {
                bool hasTask = item.ValueKind == JsonValueKind.Object && item.TryGetProperty("task", out _);
                ExpectProperties(item, "release", hasTask ? ["at", "noiseMultiplier", "samplingRate", "steps", "task"] : ["at", "noiseMultiplier", "samplingRate", "steps"]);
                string at = item.GetProperty("at").GetString() ?? throw new FormatException("release 'at' must be a string");
                string task = hasTask ? item.GetProperty("task").GetString() ?? throw new FormatException("release 'task' must be a string") : TaskIds.Default;
                releases.Add(new PrivacyRelease(
                    DateTimeOffset.ParseExact(at, "O", CultureInfo.InvariantCulture, DateTimeStyles.None),
                    item.GetProperty("noiseMultiplier").GetDouble(),
                    item.GetProperty("samplingRate").GetDouble(),
                    item.GetProperty("steps").GetInt32(),
                    task));
            }

            return new PrivacyLedger([.. releases.OrderBy(r => r.At)]);
        }
        catch (Exception error) when (error is JsonException or FormatException or InvalidOperationException or KeyNotFoundException or ArgumentException)
        {
            throw new FormatException($"not a valid privacy ledger: {error.Message}", error);
        }
    }

    private static void ExpectProperties(JsonElement element, string what, params string[] names)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"the {what} must be a JSON object");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            if (!names.Contains(property.Name, StringComparer.Ordinal) || !seen.Add(property.Name))
            {
                throw new FormatException($"unexpected or repeated property '{property.Name}' in the {what}");
            }
        }

        if (seen.Count != names.Length)
        {
            throw new FormatException($"the {what} must have the properties {string.Join(", ", names)}");
        }
    }

    private static double[] RdpOf(PrivacyRelease release) => RdpOf(release, cache: null);

    private static double[] RdpOf(PrivacyRelease release, Dictionary<(double, double), double[]>? cache)
    {
        var key = (release.NoiseMultiplier, release.SamplingRate);
        if (cache is null || !cache.TryGetValue(key, out var perStep))
        {
            perStep = RdpAccountant.ComputeRdp(release.NoiseMultiplier, release.SamplingRate, 1, RdpAccountant.DefaultOrders);
            cache?.Add(key, perStep);
        }

        return [.. perStep.Select(r => r * release.Steps)];
    }

    private static double[] Sum(IEnumerable<double[]> vectors, int length)
    {
        var sum = new double[length];
        foreach (var vector in vectors)
        {
            for (int i = 0; i < length; i++)
            {
                sum[i] += vector[i];
            }
        }

        return sum;
    }

    private static PrivacySpent Epsilon(double[] rdp, double delta) =>
        RdpAccountant.ConvertToEpsilon(RdpAccountant.DefaultOrders, rdp, delta, RdpConversion.Improved);
}

/// <summary>The outcome of <see cref="PrivacyLedger.Assess"/>.</summary>
/// <param name="WithinBudget">True when the candidate release fits.</param>
/// <param name="Epsilon">ε over the window including the candidate release.</param>
/// <param name="ReleasesInWindow">How many earlier releases are in the window.</param>
/// <param name="FreesUpAt">When over budget: the first time enough earlier releases have left the window; else null.</param>
/// <param name="NeverFits">True when the candidate alone exceeds the budget, so no waiting helps.</param>
public sealed record BudgetAssessment(bool WithinBudget, double Epsilon, int ReleasesInWindow, DateTimeOffset? FreesUpAt, bool NeverFits);
