namespace IntegrationHub.Adapters.Fhir;

/// <summary>The two FHIR R4 wire formats the adapter reads and writes.</summary>
public enum FhirFormat { Json, Xml }
