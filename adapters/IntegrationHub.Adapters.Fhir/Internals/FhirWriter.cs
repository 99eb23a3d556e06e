using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Xml;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace IntegrationHub.Adapters.Fhir.Internals;

/// <summary>A resource to FHIR JSON or XML text.</summary>
sealed class FhirWriter
{
    readonly LosslessJsonSerializer _json = new();
    readonly BaseFhirXmlSerializer _xml = new(ModelInfo.ModelInspector);

    public string Write(Resource resource, FhirFormat format, bool pretty) =>
        format == FhirFormat.Json ? WriteJson(resource, pretty) : WriteXml(resource, pretty);

    public byte[] WriteUtf8(Resource resource, FhirFormat format, bool pretty)
    {
        var buffer = new MemoryStream();
        Write(resource, format, pretty, buffer);
        return buffer.ToArray();
    }

    public void Write(Resource resource, FhirFormat format, bool pretty, Stream output)
    {
        if (format == FhirFormat.Json)
            WriteJson(resource, output, pretty);
        else
            WriteXml(resource, output, pretty);
    }

    string WriteJson(Resource resource, bool pretty)
    {
        var buffer = new MemoryStream();
        WriteJson(resource, buffer, pretty);
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    string WriteXml(Resource resource, bool pretty)
    {
        var buffer = new MemoryStream();
        WriteXml(resource, buffer, pretty);
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    void WriteJson(Resource resource, Stream output, bool pretty)
    {
        // Relaxed escaping writes non-ASCII text as itself rather than \uXXXX (still valid JSON, and readable).
        using var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = pretty, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true });
        _json.Serialize(resource, writer);
    }

    void WriteXml(Resource resource, Stream output, bool pretty)
    {
        using var writer = XmlWriter.Create(output, new XmlWriterSettings { Indent = pretty, Encoding = new UTF8Encoding(false), CloseOutput = false });
        _xml.Serialize(resource, writer);
    }
}
