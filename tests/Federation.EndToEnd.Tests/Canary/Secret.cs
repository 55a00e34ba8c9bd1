namespace Federation.EndToEnd.Tests.Canary;

/// <summary>
/// Bytes that must never be seen on the bus: a planted canary or a whole raw record. <see cref="LeakScanner"/>
/// looks for them raw, as hex and as base64, in every captured message.
/// </summary>
/// <param name="Kind">The kind of raw data it was planted in (logs, overrides, photos, force, training).</param>
/// <param name="What">What it is, for the failure message.</param>
/// <param name="Bytes">The bytes themselves.</param>
public sealed record Secret(string Kind, string What, byte[] Bytes)
{
    public override string ToString() => $"{Kind}: {What} ({Bytes.Length} bytes)";
}
