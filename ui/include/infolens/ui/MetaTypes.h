#pragma once

#include <QMetaType>
#include <memory>

#include "infolens/live/LiveWorker.h"

// Results travel between threads and through signals as immutable shared objects. Declared in
// one place, before any signal that carries them is seen by moc.
Q_DECLARE_METATYPE(std::shared_ptr<const infolens::LiveResult>)
Q_DECLARE_METATYPE(std::shared_ptr<const infolens::GenerateResult>)
Q_DECLARE_METATYPE(infolens::ModelStatus)
Q_DECLARE_METATYPE(std::shared_ptr<const infolens::InterventionOutcome>)
Q_DECLARE_METATYPE(infolens::InterventionProgress)
