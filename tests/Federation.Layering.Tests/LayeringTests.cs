namespace Federation.Layering.Tests;

/// <summary>The repository holds the layering rules, and the rules catch each kind of break.</summary>
public sealed class LayeringTests
{
    private static readonly Layout Repository = RepositoryLayout.Read(RepositoryLayout.Root());

    [Fact]
    public void The_repository_has_no_host_reference_outside_tests_and_no_namespace_cycle()
    {
        LayeringRules.Violations(Repository).ShouldBeEmpty();
    }

    [Fact]
    public void The_reader_sees_the_hosts_libraries_and_their_namespaces()
    {
        // Guards the test above against passing because it read nothing.
        var kinds = Repository.Projects.ToDictionary(project => project.Name, project => project.Kind);
        kinds["Federation.Aggregator"].ShouldBe(ProjectKind.Host);
        kinds["Federation.Gateway"].ShouldBe(ProjectKind.Host);
        kinds["Federation.Cli"].ShouldBe(ProjectKind.Host);
        kinds["Federation.Coordination"].ShouldBe(ProjectKind.Library);
        kinds["Federation.Contracts"].ShouldBe(ProjectKind.Contracts);
        kinds["Federation.Benchmarks"].ShouldBe(ProjectKind.Bench);

        var graph = LayeringRules.NamespaceGraph(Repository);
        graph.Count.ShouldBeGreaterThan(40);
        graph["Federation.Coordination.Rounds"].Keys.ShouldContain("Federation.Audit.History");
    }

    [Fact]
    public void A_library_or_the_cli_referencing_a_host_is_named()
    {
        var violations = LayeringRules.ReferenceViolations(
        [
            new Project("Federation.Aggregator", ProjectKind.Host, ["Federation.Coordination"]),
            new Project("Federation.Cli", ProjectKind.Host, ["Federation.Aggregator"]),
            new Project("Federation.Coordination", ProjectKind.Library, ["Federation.Gateway"]),
            new Project("Federation.Gateway", ProjectKind.Host, []),
            new Project("Federation.Aggregator.Tests", ProjectKind.Test, ["Federation.Aggregator"]),
        ]).ToList();

        violations.Count.ShouldBe(2);
        violations[0].ShouldBe("Federation.Cli (a host) references the host Federation.Aggregator: move what it needs into a library.");
        violations[1].ShouldContain("Federation.Coordination (a library) references the host Federation.Gateway");
    }

    [Fact]
    public void Contracts_referencing_a_library_is_named()
    {
        LayeringRules.ReferenceViolations(
        [
            new Project("Federation.Contracts", ProjectKind.Contracts, ["Federation.Trust"]),
            new Project("Federation.Trust", ProjectKind.Library, []),
        ]).ShouldHaveSingleItem().ShouldContain("Federation.Contracts (contracts) references Federation.Trust");
    }

    [Fact]
    public void A_cycle_through_a_using_a_qualified_name_and_an_enclosing_namespaces_type_is_named_with_its_files()
    {
        var layout = new Layout(
            [new Project("Lib", ProjectKind.Library, [])],
            [
                // Rounds → Api through a using.
                new SourceFile("Rounds/Plan.cs", "Lib", "using Lib.Api;\nnamespace Lib.Rounds;\npublic sealed class Plan { }"),
                // Api → Lib (its enclosing namespace) by naming Options without a using.
                new SourceFile("Api/Request.cs", "Lib", "namespace Lib.Api;\n// Rounds.Plan is only mentioned here\npublic sealed record Request(Options Options);"),
                // Lib → Rounds through a partly qualified name.
                new SourceFile("Options.cs", "Lib", "namespace Lib;\npublic sealed class Options { public Rounds.Plan Plan { get; } = new(); }"),
            ]);

        LayeringRules.NamespaceCycles(layout).ShouldHaveSingleItem().ShouldBe(
            "Namespace cycle Lib → Lib.Rounds → Lib.Api → Lib: " +
            "Lib → Lib.Rounds (Options.cs); Lib.Rounds → Lib.Api (Rounds/Plan.cs); Lib.Api → Lib (Api/Request.cs).");
    }

    [Fact]
    public void Names_in_comments_and_strings_and_test_projects_make_no_dependency()
    {
        var layout = new Layout(
            [new Project("Lib", ProjectKind.Library, []), new Project("Lib.Tests", ProjectKind.Test, [])],
            [
                new SourceFile("A/One.cs", "Lib", "using Lib.B;\nnamespace Lib.A;\npublic sealed class One { }"),
                new SourceFile("B/Two.cs", "Lib", "namespace Lib.B;\n/// <see cref=\"Lib.A.One\"/>\npublic sealed class Two { string S = \"Lib.A.One\"; }"),
                new SourceFile("Tests/Three.cs", "Lib.Tests", "using Lib.A;\nnamespace Lib.B.Tests;\npublic sealed class Three { }"),
            ]);

        LayeringRules.NamespaceCycles(layout).ShouldBeEmpty();
    }
}
