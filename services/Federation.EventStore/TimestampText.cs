using System.Globalization;

namespace Federation.EventStore;

/// <summary>
/// Stores timestamps as fixed-width ISO-8601 UTC text with all seven fractional digits (100 ns ticks), so
/// nothing is rounded away and the text sorts in time order.
/// </summary>
internal static class TimestampText
{
    private const string Pattern = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    public static string Format(DateTimeOffset timestamp) =>
        timestamp.UtcDateTime.ToString(Pattern, CultureInfo.InvariantCulture);

    public static DateTimeOffset Parse(string text) =>
        new(DateTime.ParseExact(text, Pattern, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal), TimeSpan.Zero);
}
