namespace Federation.Audit;

/// <summary>
/// An audit cannot go on: a bundle is missing a file or holds an unreadable line, or an asked-for version does not
/// exist. The message says what to do; fedctl prints it and exits 1.
/// </summary>
/// <param name="message">What is wrong and what to do about it.</param>
public sealed class AuditException(string message) : Exception(message);
