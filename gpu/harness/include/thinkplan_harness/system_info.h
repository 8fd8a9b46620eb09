// Small facts about the machine and the clock that records carry, read without any library.
#pragma once

#include <string>
#include <vector>

namespace thinkplan::harness {

std::string CpuModelName();         // "model name" from /proc/cpuinfo, else "unknown CPU"
double SystemMemoryGib();           // MemTotal from /proc/meminfo, 0 if unreadable
std::string NvidiaDriverVersion();  // from /proc/driver/nvidia/version, empty if unreadable
std::string UtcDate();              // "2026-11-20"
std::string UtcStamp();             // "20261120T101500Z"

// The hardware catalogue's name for a device (data/published/hardware.csv: "H200-SXM-141GB" for
// "NVIDIA H200"), or the device's own name when the catalogue has no entry for it.
std::string CatalogueHardwareName(const std::string& device_name, double memory_gib);

// Median of the values (mean of the middle two for an even count); 0 for none.
double Median(std::vector<double> values);
// (max - min) / median; 0 for fewer than two values.
double RelativeSpread(const std::vector<double>& values);
// Lower-case letters, digits, '.' and '-' only: for keys and file names.
std::string Slug(const std::string& text);

}  // namespace thinkplan::harness
