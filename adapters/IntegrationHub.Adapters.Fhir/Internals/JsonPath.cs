using System.Text;

namespace IntegrationHub.Adapters.Fhir.Internals;

/// <summary>
/// Where a JSON reader is, as a FHIRPath-like expression (<c>Bundle.entry[2].resource.name[0]</c>), and the keys seen
/// in each open object, to spot a duplicate.
/// </summary>
sealed class JsonPath
{
    readonly List<Frame> _frames = [];
    readonly Stack<HashSet<string>> _spareSets = new();
    string? _resourceType;

    public void EnterObject()
    {
        CountArrayItem();
        _frames.Add(new Frame(false, _spareSets.TryPop(out var set) ? set : new HashSet<string>(StringComparer.Ordinal)));
    }

    public void EnterArray()
    {
        CountArrayItem();
        _frames.Add(new Frame(true, null));
    }

    public void Leave()
    {
        var frame = _frames[^1];
        _frames.RemoveAt(_frames.Count - 1);
        if (frame.Keys is { } keys)
        {
            keys.Clear();
            _spareSets.Push(keys);
        }
    }

    /// <summary>False when the open object already has this key.</summary>
    public bool AddProperty(string name)
    {
        var frame = _frames[^1];
        frame.Property = name;
        return frame.Keys!.Add(name);
    }

    public bool AtRootProperty(string name) => _frames.Count == 1 && _frames[0].Property == name;

    public void Value(string? rootResourceType = null)
    {
        CountArrayItem();
        if (rootResourceType is not null)
            _resourceType = rootResourceType;
    }

    void CountArrayItem()
    {
        if (_frames.Count > 0 && _frames[^1].IsArray)
            _frames[^1].Index++;
    }

    public override string ToString()
    {
        var text = new StringBuilder(_resourceType ?? "");
        foreach (var frame in _frames)
        {
            if (frame.IsArray && frame.Index >= 0)
                text.Append('[').Append(frame.Index).Append(']');
            else if (!frame.IsArray && frame.Property is { } property)
                text.Append(text.Length > 0 ? "." : "").Append(property);
        }
        return text.ToString();
    }

    sealed class Frame(bool isArray, HashSet<string>? keys)
    {
        public bool IsArray { get; } = isArray;
        public HashSet<string>? Keys { get; } = keys;
        public string? Property { get; set; }
        public int Index { get; set; } = -1;
    }
}
