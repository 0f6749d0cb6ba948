// The Synth target is being written; this file keeps the package building until it lands.
enum SynthPlaceholder {}
