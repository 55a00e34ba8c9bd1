using System.Runtime.CompilerServices;

// The schema-drift test compares policies/policy.schema.json with the loader's own field tables.
[assembly: InternalsVisibleTo("Federation.Policies.Tests")]
