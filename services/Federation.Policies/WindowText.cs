using System.Globalization;
using System.Text.RegularExpressions;

namespace Federation.Policies;

/// <summary>Durations as written in policy files: a whole number and a unit, <c>30d</c>, <c>12h</c> or <c>90m</c>.</summary>
public static partial class WindowText
{
    /// <summary>The longest window a policy may set (ten years of 365 days).</summary>
    public static readonly TimeSpan Longest = TimeSpan.FromDays(3650);

    /// <summary>Parses a window such as <c>30d</c>; false when <paramref name="text"/> is not one.</summary>
    /// <param name="text">The text from the policy file.</param>
    /// <param name="window">The duration, when parsed.</param>
    public static bool TryParse(string text, out TimeSpan window)
    {
        window = default;
        var match = Pattern().Match(text);
        if (!match.Success || !long.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out long amount)
            || amount > 10_000_000)
        {
            return false;
        }

        window = match.Groups[2].Value switch
        {
            "d" => TimeSpan.FromDays(amount),
            "h" => TimeSpan.FromHours(amount),
            _ => TimeSpan.FromMinutes(amount),
        };
        return true;
    }

    /// <summary>Writes <paramref name="window"/> as a policy file would: <c>30d</c>, <c>12h</c> or <c>90m</c>.</summary>
    /// <param name="window">The duration.</param>
    public static string Format(TimeSpan window) =>
        window.Ticks % TimeSpan.TicksPerDay == 0 ? string.Create(CultureInfo.InvariantCulture, $"{window.Ticks / TimeSpan.TicksPerDay}d")
        : window.Ticks % TimeSpan.TicksPerHour == 0 ? string.Create(CultureInfo.InvariantCulture, $"{window.Ticks / TimeSpan.TicksPerHour}h")
        : string.Create(CultureInfo.InvariantCulture, $"{window.TotalMinutes:0.###}m");

    [GeneratedRegex("^([0-9]+)([dhm])$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
