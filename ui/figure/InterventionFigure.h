#pragma once

// The intervention figure's public header lives with the other figure header under include/.
#include "infolens/ui/InterventionFigure.h"
