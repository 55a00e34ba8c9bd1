namespace Federation.Cli;

/// <summary>
/// The command line is wrong in a way only a command can tell (e.g. a key id prefix that matches two keys); the
/// message says how. fedctl exits 2, as for any other usage error.
/// </summary>
public sealed class CommandLineException(string message) : Exception(message);

/// <summary>The command was well formed but could not be carried out; the message says why. fedctl exits 1.</summary>
public sealed class CommandFailedException(string message) : Exception(message);
