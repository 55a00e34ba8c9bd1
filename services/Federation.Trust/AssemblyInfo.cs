using System.Runtime.CompilerServices;

// The tests pin down internals that have no public door of their own: the exact
// ECMAScript number layout, so the RFC 8785 table can be checked bit for bit.
[assembly: InternalsVisibleTo("Federation.Trust.Tests")]
