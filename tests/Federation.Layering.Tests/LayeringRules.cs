namespace Federation.Layering.Tests;

/// <summary>
/// The layering rules, as a pure function of the layout: references run contracts ← libraries ←
/// hosts, nothing but tests references a host, and no namespace cycle exists in product code.
/// Each violation is a sentence naming what to change.
/// </summary>
public static class LayeringRules
{
    /// <summary>Every violation in <paramref name="layout"/>; empty when the layout holds.</summary>
    public static IReadOnlyList<string> Violations(Layout layout) =>
        [.. ReferenceViolations(layout.Projects), .. NamespaceCycles(layout)];

    /// <summary>Project references that point the wrong way.</summary>
    public static IEnumerable<string> ReferenceViolations(IReadOnlyList<Project> projects)
    {
        var kinds = projects.ToDictionary(project => project.Name, project => project.Kind, StringComparer.Ordinal);
        foreach (var project in projects.Where(project => project.Kind != ProjectKind.Test))
        {
            foreach (var reference in project.References)
            {
                var kind = kinds.GetValueOrDefault(reference, ProjectKind.Library);
                if (kind == ProjectKind.Host)
                {
                    yield return $"{project.Name} ({Describe(project.Kind)}) references the host {reference}: move what it needs into a library.";
                }
                else if (kind is ProjectKind.Test or ProjectKind.Bench)
                {
                    yield return $"{project.Name} references {reference}, which is {Describe(kind)}.";
                }
                else if (project.Kind == ProjectKind.Contracts && kind != ProjectKind.Contracts)
                {
                    yield return $"{project.Name} (contracts) references {reference}: contracts reference no library.";
                }
            }
        }
    }

    /// <summary>Namespace cycles among the product's (non-test) source files, each with the files that close it.</summary>
    public static IEnumerable<string> NamespaceCycles(Layout layout)
    {
        var graph = NamespaceGraph(layout);
        foreach (var component in StronglyConnected(graph.Keys, node => graph[node].Keys).Where(component => component.Count > 1))
        {
            var cycle = ShortestCycle(component[0], component.ToHashSet(StringComparer.Ordinal), node => graph[node].Keys);
            var edges = cycle.Zip(cycle.Skip(1), (from, to) => $"{from} → {to} ({graph[from][to]})");
            var others = component.Except(cycle).ToList();
            var alsoIn = others.Count == 0 ? "" : $" (the cycle also takes in {string.Join(", ", others)})";
            yield return $"Namespace cycle {string.Join(" → ", cycle)}: {string.Join("; ", edges)}{alsoIn}.";
        }
    }

    /// <summary>For each product namespace, the namespaces it depends on and one file that makes each dependency.</summary>
    public static Dictionary<string, Dictionary<string, string>> NamespaceGraph(Layout layout)
    {
        var productProjects = layout.Projects.Where(project => project.Kind != ProjectKind.Test).Select(project => project.Name).ToHashSet(StringComparer.Ordinal);
        var files = layout.Sources
            .Where(file => productProjects.Contains(file.Project))
            .Select(file => (file, ns: NamespaceDependencies.DeclaredNamespace(file.Text)))
            .Where(entry => entry.ns is not null)
            .Select(entry => (entry.file, ns: entry.ns!))
            .ToList();

        var known = files.Select(entry => entry.ns).ToHashSet(StringComparer.Ordinal);
        var types = files
            .GroupBy(entry => entry.ns, StringComparer.Ordinal)
            .ToDictionary(group => group.Key, group => (IReadOnlySet<string>)group.SelectMany(entry => NamespaceDependencies.DeclaredTypes(entry.file.Text)).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);

        var graph = known.ToDictionary(ns => ns, _ => new Dictionary<string, string>(StringComparer.Ordinal), StringComparer.Ordinal);
        foreach (var (file, ns) in files)
        {
            foreach (var dependency in NamespaceDependencies.Of(file.Text, ns, known, types))
            {
                graph[ns].TryAdd(dependency, file.Path);
            }
        }

        return graph;
    }

    private static string Describe(ProjectKind kind) => kind switch
    {
        ProjectKind.Contracts => "contracts",
        ProjectKind.Library => "a library",
        ProjectKind.Host => "a host",
        ProjectKind.Bench => "the bench tool",
        _ => "a test project",
    };

    // Tarjan's algorithm; components come out in an order that does not matter here.
    private static List<List<string>> StronglyConnected(IEnumerable<string> nodes, Func<string, IEnumerable<string>> next)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var components = new List<List<string>>();

        void Visit(string node)
        {
            index[node] = low[node] = index.Count;
            stack.Push(node);
            onStack.Add(node);
            foreach (var target in next(node))
            {
                if (!index.ContainsKey(target))
                {
                    Visit(target);
                    low[node] = Math.Min(low[node], low[target]);
                }
                else if (onStack.Contains(target))
                {
                    low[node] = Math.Min(low[node], index[target]);
                }
            }

            if (low[node] == index[node])
            {
                var component = new List<string>();
                string member;
                do
                {
                    member = stack.Pop();
                    onStack.Remove(member);
                    component.Add(member);
                }
                while (member != node);
                component.Sort(StringComparer.Ordinal);
                components.Add(component);
            }
        }

        foreach (var node in nodes.Order(StringComparer.Ordinal))
        {
            if (!index.ContainsKey(node))
            {
                Visit(node);
            }
        }

        return components;
    }

    // Breadth first from start back to start, inside one component: the shortest cycle through it.
    private static List<string> ShortestCycle(string start, HashSet<string> component, Func<string, IEnumerable<string>> next)
    {
        var previous = new Dictionary<string, string>(StringComparer.Ordinal);
        var queue = new Queue<string>([start]);
        while (queue.Count > 0)
        {
            var node = queue.Dequeue();
            foreach (var target in next(node).Where(component.Contains).Order(StringComparer.Ordinal))
            {
                if (target == start)
                {
                    var path = new List<string> { start };
                    for (var at = node; at != start; at = previous[at])
                    {
                        path.Add(at);
                    }

                    path.Add(start);
                    path.Reverse();
                    return path;
                }

                if (previous.TryAdd(target, node))
                {
                    queue.Enqueue(target);
                }
            }
        }

        throw new InvalidOperationException($"{start} is in a strongly connected component but on no cycle.");
    }
}
